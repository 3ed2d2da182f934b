"""Service rules not covered through the API: claim renewal by activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from terminals import services
from terminals.models import Claim

pytestmark = pytest.mark.django_db


def test_keys_renew_a_claim_that_has_aged_but_not_on_every_keystroke(
    user_factory, make_session, settings
):
    make_session("main")
    settings.TERMINALS_CLAIM_TTL = 60
    op = user_factory(role=Role.OPERATOR)
    aged = timezone.now() + timedelta(seconds=10)
    Claim.objects.create(session_name="main", user=op, expires_at=aged)
    services.keys_send(session_name="main", user=op, keys="a", own_claim_required=True)
    renewed = Claim.objects.get().expires_at
    assert renewed - timezone.now() > timedelta(seconds=55)
    services.keys_send(session_name="main", user=op, keys="b", own_claim_required=True)
    assert Claim.objects.get().expires_at == renewed  # fresh enough: no write


def test_heartbeat_renewal_only_for_the_holder(user_factory, make_session, settings):
    make_session("main")
    settings.TERMINALS_CLAIM_TTL = 60
    op, other = user_factory(role=Role.OPERATOR), user_factory(role=Role.OPERATOR)
    Claim.objects.create(
        session_name="main", user=op, expires_at=timezone.now() + timedelta(seconds=5)
    )
    assert services.claim_renew(session_name="main", user=other) is False
    assert services.claim_renew(session_name="main", user=op) is True
    assert Claim.objects.get().expires_at - timezone.now() > timedelta(seconds=55)
