"""What accounts tells sockets about a user: one group per user, one `user.changed` event."""

from django.db import transaction

from accounts.models import User
from config.broadcast import broadcast, group_name


def user_group(user: User) -> str:
    """Every socket a user has open joins this group."""
    return group_name("user", user.public_id)


def user_changed_payload(user: User) -> dict[str, object]:
    return {"role": user.role, "active": user.is_active, "member": user.is_member}


def user_changed_announce(user: User) -> None:
    """After commit, tell the user's sockets what they may do now."""
    group, payload = user_group(user), user_changed_payload(user)
    transaction.on_commit(lambda: broadcast(group, "user.changed", payload))
