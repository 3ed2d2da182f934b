from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts import tokens
from accounts.models import User
from config.ids import UNAMBIGUOUS_ALPHABET
from invites.models import (
    CODE_LENGTH,
    HostInvite,
    HostInviteRedemption,
    InviteState,
    WorkspaceInvite,
)

MAX_TOKEN_LENGTH = 128


def normalize_code(raw: str) -> str:
    """An invite code as typed or pasted (any case, spaces, dashes) as stored, or ''."""
    code = "".join(ch for ch in str(raw).upper() if not ch.isspace() and ch != "-")
    if len(code) != CODE_LENGTH or any(ch not in UNAMBIGUOUS_ALPHABET for ch in code):
        return ""
    return code


def host_invite_get(*, code: str) -> HostInvite | None:
    code = normalize_code(code)
    if not code:
        return None
    return HostInvite.objects.select_related("creator").filter(code=code).first()


def host_invite_get_for_creator(*, code: str, creator: User) -> HostInvite | None:
    invite = host_invite_get(code=code)
    if invite is None or invite.creator_id != creator.pk:
        return None
    return invite


def host_invite_list(*, creator: User) -> QuerySet[HostInvite]:
    return HostInvite.objects.filter(creator=creator).select_related("creator")


def host_invite_redemptions(*, invite: HostInvite) -> QuerySet[HostInviteRedemption]:
    return invite.redemptions.select_related("user")


def host_invite_redemption_get(*, invite: HostInvite, user: User) -> HostInviteRedemption | None:
    if not user.is_authenticated:
        return None
    return invite.redemptions.filter(user=user).first()


def workspace_invite_list() -> QuerySet[WorkspaceInvite]:
    return WorkspaceInvite.objects.select_related("created_by")


def workspace_invite_check(*, token: str) -> tuple[WorkspaceInvite | None, str]:
    """(invite, "") for a live invite, else (None, "not_found" / "expired" / "revoked" /
    "exhausted")."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None, "not_found"
    invite = (
        WorkspaceInvite.objects.select_related("created_by")
        .filter(token_digest=tokens.digest(token))
        .first()
    )
    if invite is None:
        return None, "not_found"
    if invite.revoked_at is not None:
        return None, InviteState.REVOKED.value
    if invite.expires_at <= timezone.now():
        return None, InviteState.EXPIRED.value
    if invite.max_uses is not None and invite.used_count >= invite.max_uses:
        return None, "exhausted"  # CHROTE's word for a used-up invite
    return invite, ""


def workspace_invite_peek(*, token: str) -> WorkspaceInvite | None:
    """The invite a token names, live or not (for its landing page)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        WorkspaceInvite.objects.select_related("created_by")
        .filter(token_digest=tokens.digest(token))
        .first()
    )


def member_list() -> QuerySet[User]:
    """The workspace's members (active accounts that joined it), oldest first."""
    return User.objects.filter(is_active=True, is_member=True).order_by("date_joined", "pk")


def member_get(*, public_id: str) -> User | None:
    if not isinstance(public_id, str) or len(public_id) > 40:
        return None
    return member_list().filter(public_id=public_id).first()
