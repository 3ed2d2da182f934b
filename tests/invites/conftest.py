from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from invites import services, targets
from invites.models import HostInvite, WorkspaceInvite


@dataclass
class FakeRooms:
    """A target kind for tests: rooms that exist, who was admitted, who may invite."""

    rooms: set[str] = field(default_factory=lambda: {"room1"})
    admitted: list[tuple[int, str]] = field(default_factory=list)
    hosts_only: bool = False

    def describe(self, target_id: str) -> str | None:
        return f"Fake room {target_id}" if target_id in self.rooms else None

    def admit(self, user: User, target_id: str) -> str:
        self.admitted.append((user.pk, target_id))
        return f"/fake/{target_id}"

    def may_invite(self, user: User, target_id: str) -> bool:
        return not self.hosts_only or user.has_role("admin")


@pytest.fixture
def fake_rooms() -> Iterator[FakeRooms]:
    rooms = FakeRooms()
    targets.register_target(
        "fakeroom",
        label="Fake room",
        describe=rooms.describe,
        admit=rooms.admit,
        may_invite=rooms.may_invite,
    )
    targets.register_target(
        "fakespace",
        label="Fake space",
        describe=lambda _: "The fake space",
        admit=lambda u, _: "/fakespace/",
        may_invite=lambda u, _: True,
        needs_id=False,
    )
    yield rooms
    targets.unregister_target("fakeroom")
    targets.unregister_target("fakespace")


@pytest.fixture
def host_invite_factory(user_factory) -> Callable[..., HostInvite]:  # type: ignore[no-untyped-def]
    def make(
        *,
        creator: User | None = None,
        expires_in: int = 3600,
        max_grants: int = 5,
        target: str = "",
    ) -> HostInvite:
        return services.host_invite_create(
            creator=creator or user_factory(),
            expires_in=expires_in,
            max_grants=max_grants,
            target=target,
        )

    return make


def expire(invite: HostInvite | WorkspaceInvite) -> None:
    type(invite).objects.filter(pk=invite.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invite.refresh_from_db()


@pytest.fixture(autouse=True)
def _fast_passwords(request, settings) -> None:  # type: ignore[no-untyped-def]
    """These tests make many users; their passwords need not resist brute force.

    (Not in browser tests: the live server must be able to check the passwords.)"""
    if request.node.get_closest_marker("browser"):
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
