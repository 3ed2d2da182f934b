"""Pages: /g/<code> (host invite landing), my invites, /terminals/invite/<token>, members."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from config.errors import DomainError
from config.net import client_ip
from invites import members, selectors, services, targets
from invites.exceptions import UserNotFoundError
from invites.limits import lookup_missed, lookups_exhausted
from invites.models import (
    DOCUMENTED_INVITE_ROLES,
    HOST_INVITE_MAX_EXPIRES,
    HOST_INVITE_MAX_GRANTS,
    HOST_INVITE_MIN_EXPIRES,
    HOST_INVITE_MIN_GRANTS,
    InviteState,
    WorkspaceInvite,
)

EXPIRY_CHOICES = [
    (600, "10 minutes"),
    (3600, "1 hour"),
    (6 * 3600, "6 hours"),
    (24 * 3600, "1 day"),
    (HOST_INVITE_MAX_EXPIRES, "30 hours"),
]
WORKSPACE_EXPIRY_CHOICES = [
    (3600, "1 hour"),
    (24 * 3600, "1 day"),
    (7 * 24 * 3600, "7 days"),
    (30 * 24 * 3600, "30 days"),
]
STATE_TEXT = {
    InviteState.ACTIVE: "active",
    InviteState.EXPIRED: "expired",
    InviteState.REVOKED: "revoked",
    InviteState.USED_UP: "used up",
}


def _safe_redirect(request: HttpRequest, url: str) -> HttpResponse:
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = "/"
    return redirect(url)


def _int(raw: str | None, default: int) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return None


# --- Host invites ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def landing(request: HttpRequest, code: str) -> HttpResponse:
    """Who invites you, to what, until when, uses left; sign in, then join (POST)."""
    if lookups_exhausted(request):
        return render(request, "invites/landing_missing.html", {"limited": True}, status=429)
    invite = selectors.host_invite_get(code=code)
    if invite is None:
        lookup_missed(request)
        return render(request, "invites/landing_missing.html", {"code": code}, status=404)
    user = request.user
    error = None
    status = 200
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next=/g/{invite.code}")
        try:
            result = services.host_invite_redeem(
                code=invite.code,
                user=user,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
            invite.refresh_from_db()
        else:
            return _safe_redirect(request, result.url)
    state = invite.state
    target_ok = not invite.target or bool(targets.describe_target(invite.target))
    # The same re-check as redemption: its creator must still be allowed to invite there.
    creator_ok = not invite.target or targets.target_may_invite(invite.creator, invite.target)
    context = {
        "invite": invite,
        "state": str(state),
        "state_text": STATE_TEXT[state],
        "target_ok": target_ok,
        "creator_ok": creator_ok,
        "is_creator": user.is_authenticated and invite.creator_id == user.pk,
        "redeemed": selectors.host_invite_redemption_get(invite=invite, user=user),
        "error": error,
        "login_url": f"{reverse('account_login')}?next=/g/{invite.code}",
        "signup_url": f"{reverse('account_signup')}?next=/g/{invite.code}",
    }
    return render(request, "invites/landing.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def my_invites(request: HttpRequest) -> HttpResponse:
    """List, create, copy and revoke my host invites."""
    form = {
        "expires_in": request.POST.get("expires_in", "3600"),
        "max_grants": request.POST.get("max_grants", "5"),
        "target": request.POST.get("target", request.GET.get("target", "")),
    }
    error = None
    if request.method == "POST":
        expires_in = _int(form["expires_in"], 3600)
        max_grants = _int(form["max_grants"], 5)
        target = form["target"].strip()
        if (
            expires_in is None
            or not HOST_INVITE_MIN_EXPIRES <= expires_in <= HOST_INVITE_MAX_EXPIRES
        ):
            error = "Choose how long the invite lasts (10 minutes to 30 hours)."
        elif (
            max_grants is None or not HOST_INVITE_MIN_GRANTS <= max_grants <= HOST_INVITE_MAX_GRANTS
        ):
            error = "Uses must be a whole number from 1 to 100."
        elif len(target) > 200:
            error = "Unknown invite target."
        else:
            try:
                invite = services.host_invite_create(
                    creator=request.user,
                    expires_in=expires_in,
                    max_grants=max_grants,
                    target=target,
                )
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, f"Invite {invite.code} created.")
                return redirect("invites:mine")
    invites = selectors.host_invite_list(creator=request.user)[:200]
    context = {
        "invites": invites,
        "form": form,
        "error": error,
        "expiry_choices": EXPIRY_CHOICES,
        "kinds": [k for k in targets.target_kinds().values()],
    }
    return render(request, "invites/mine.html", context, status=400 if error else 200)


@login_required
def invite_detail(request: HttpRequest, code: str) -> HttpResponse:
    invite = selectors.host_invite_get_for_creator(code=code, creator=request.user)
    if invite is None:
        raise Http404
    redemptions = selectors.host_invite_redemptions(invite=invite)
    context = {
        "invite": invite,
        "state_text": STATE_TEXT[invite.state],
        "redemptions": redemptions,
    }
    return render(request, "invites/detail.html", context)


@login_required
@require_POST
def invite_revoke(request: HttpRequest, code: str) -> HttpResponse:
    invite = selectors.host_invite_get_for_creator(code=code, creator=request.user)
    if invite is None:
        raise Http404
    services.host_invite_revoke(invite=invite, by=request.user)
    messages.success(request, f"Invite {invite.code} revoked.")
    return _safe_redirect(request, request.POST.get("next") or reverse("invites:mine"))


# --- Workspace invites ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def workspace_landing(request: HttpRequest, token: str) -> HttpResponse:
    """A workspace invite: sign in (GitHub, Google or email), then accept."""
    if lookups_exhausted(request):
        return render(request, "invites/workspace_landing.html", {"reason": "limited"}, status=429)
    invite, reason = selectors.workspace_invite_check(token=token)
    if invite is None and reason == "not_found":
        lookup_missed(request)
    here = request.path
    context: dict = {
        "invite": invite,
        "reason": reason,
        "peek": invite or selectors.workspace_invite_peek(token=token),
        "login_url": f"{reverse('account_login')}?next={here}",
        "signup_url": f"{reverse('account_signup')}?next={here}",
        "github": "github" in settings.SOCIALACCOUNT_PROVIDERS,
        "google": "google" in settings.SOCIALACCOUNT_PROVIDERS,
        "next": here,
    }
    status = 200 if invite else (404 if reason == "not_found" else 410)
    if invite is not None and request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(context["login_url"])
        try:
            accepted = services.workspace_invite_accept(
                token=token, user=request.user, ip=client_ip(request)
            )
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            messages.success(
                request, f"Welcome to the terminal workspace. Your role: {accepted.role}."
            )
            return redirect("/terminals/")
    if invite is not None and request.user.is_authenticated:
        context["already"] = invite.acceptances.filter(user=request.user).exists()
    return render(request, "invites/workspace_landing.html", context, status=status)


# --- Members (admin+) -------------------------------------------------------------------------


def _not_admin(request: HttpRequest) -> HttpResponse:
    """Only admins and owners manage members (the API answers 403 FORBIDDEN the same way)."""
    return render(request, "invites/not_admin.html", status=403)


def _render_members(
    request: HttpRequest, *, new_invite: dict | None = None, status: int = 200
) -> HttpResponse:
    me = request.user
    rows = []
    owners = selectors.member_list().filter(role=Role.OWNER).count()
    for member in selectors.member_list():
        allowed_roles = [
            r
            for r in Role.values
            if r == member.role
            or members.check_role_change(
                actor_role=me.role,
                actor_is_target=member.pk == me.pk,
                target_role=member.role,
                new_role=r,
                owners=owners,
            )
            is None
        ]
        removable = (
            members.check_removal(
                actor_role=me.role,
                actor_is_target=member.pk == me.pk,
                target_role=member.role,
                owners=owners,
            )
            is None
        )
        rows.append({"user": member, "roles": allowed_roles, "removable": removable})
    context = {
        "rows": rows,
        "invites": selectors.workspace_invite_list()[:200],
        "invite_roles": list(DOCUMENTED_INVITE_ROLES),
        "add_roles": [
            r for r in Role.values if members.check_add(actor_role=me.role, new_role=r) is None
        ],
        "expiry_choices": WORKSPACE_EXPIRY_CHOICES,
        "new_invite": new_invite,
    }
    return render(request, "invites/members.html", context, status=status)


@login_required
def members_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.ADMIN):
        return _not_admin(request)
    return _render_members(request)


@login_required
@require_POST
def member_role(request: HttpRequest, user_id: str) -> HttpResponse:
    if not request.user.has_role(Role.ADMIN):
        return _not_admin(request)
    try:
        user = members.member_role_change(
            actor=request.user,
            public_id=user_id,
            role=Role(request.POST.get("role", "")),
            ip=client_ip(request),
        )
    except ValueError:
        messages.error(request, "Unknown role.")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{user.display_name} is now {user.role}.")
    return redirect("invites:members")


@login_required
@require_POST
def member_remove(request: HttpRequest, user_id: str) -> HttpResponse:
    if not request.user.has_role(Role.ADMIN):
        return _not_admin(request)
    try:
        user = members.member_remove(actor=request.user, public_id=user_id, ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{user.display_name} was removed from the workspace.")
    return redirect("invites:members")


@login_required
@require_POST
def member_add(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.ADMIN):
        return _not_admin(request)
    email = request.POST.get("email", "")[:254]
    try:
        user = members.member_add(
            actor=request.user,
            email=email,
            role=Role(request.POST.get("role", "")),
            ip=client_ip(request),
        )
    except ValueError:
        messages.error(request, "Unknown role.")
    except UserNotFoundError:
        messages.error(request, f"No account signed up with {email}: send them an invite link.")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{user.display_name} is now a member ({user.role}).")
    return redirect("invites:members")


@login_required
@require_POST
def members_invite_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(Role.ADMIN):
        return _not_admin(request)
    role = request.POST.get("role", WorkspaceInvite.InviteRole.VIEWER)
    expires_in = _int(request.POST.get("expires_in"), 604_800)
    low, high = settings.INVITES_WORKSPACE_MIN_EXPIRES, settings.INVITES_WORKSPACE_MAX_EXPIRES
    if role not in DOCUMENTED_INVITE_ROLES:
        messages.error(request, "Invites can make people viewers or operators.")
    elif expires_in is None or not low <= expires_in <= high:
        messages.error(request, f"Expiry must be between {low} and {high} seconds.")
    else:
        invite, token = services.workspace_invite_create(
            by=request.user, role=role, expires_in=expires_in
        )
        # The link is shown once, in this response; only its digest is stored.
        new_invite = {
            "invite": invite,
            "url": request.build_absolute_uri(reverse("invites:workspace-landing", args=[token])),
        }
        return _render_members(request, new_invite=new_invite, status=201)
    return redirect("invites:members")


@login_required
@require_POST
def members_invite_revoke(request: HttpRequest, invite_id: str) -> HttpResponse:
    if not request.user.has_role(Role.ADMIN):
        return _not_admin(request)
    try:
        services.workspace_invite_revoke(invite_id=invite_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Invite revoked.")
    return redirect("invites:members")
