"""Watch-party rooms, their participants (slots) and chat history: all rows, nothing in memory."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.ids import public_id


def new_guest_id() -> str:
    return public_id("user")


def new_message_id() -> str:
    return public_id("msg")


class WatchParty(models.Model):
    """A password-protected room. `id` is the UUID4 the API calls the session id."""

    class Source(models.TextChoices):
        VIDEO = "video", "Media URL"
        SCREEN = "screen", "Screen share"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=50)
    password_hash = models.CharField(max_length=60, editable=False)
    host_id = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="watch_parties",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    max_participants = models.PositiveSmallIntegerField(default=10)

    # Playback as the host last set it; `position` was true at `state_at` (server time).
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.VIDEO)
    media_url = models.URLField(max_length=2000, blank=True)
    playing = models.BooleanField(default=False)
    position = models.FloatField(default=0.0)
    rate = models.FloatField(default=1.0)
    volume = models.FloatField(default=1.0)
    state_at = models.DateTimeField(null=True, blank=True)
    state_seq = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "watch party"
        verbose_name_plural = "watch parties"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(position__gte=0), name="wp_position_nonnegative"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="wp_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and self.expires_at > timezone.now()


class Participant(models.Model):
    """One slot in a room. Alive while not left, seen within the grace period, token valid."""

    party = models.ForeignKey(WatchParty, on_delete=models.CASCADE, related_name="participants")
    user_id = models.CharField(max_length=40)
    display_name = models.CharField(max_length=50)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="watch_party_slots",
    )
    joined_at = models.DateTimeField(default=timezone.now)
    # Connection state, shared by every process: open sockets, and when one was last alive.
    connected_count = models.IntegerField(default=0)
    last_seen = models.DateTimeField(default=timezone.now)
    token_expires_at = models.DateTimeField()
    announced = models.BooleanField(default=False)  # user_joined sent, user_left not yet
    left_at = models.DateTimeField(null=True, blank=True)
    # Tokens carry the generation they were issued in; an explicit leave moves it on, so no
    # token issued before the leave opens a socket or answers REST again.
    token_generation = models.PositiveIntegerField(default=0)
    # Last sync report: where the viewer's player was and how far from the host's clock.
    report_position = models.FloatField(null=True, blank=True)
    report_drift = models.FloatField(null=True, blank=True)
    report_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["party", "user_id"], name="wp_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.user_id})"


class ChatMessage(models.Model):
    party = models.ForeignKey(WatchParty, on_delete=models.CASCADE, related_name="messages")
    public_id = models.CharField(max_length=20, unique=True, default=new_message_id)
    user_id = models.CharField(max_length=40)
    username = models.CharField(max_length=50)
    message = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["party", "created_at"])]

    def __str__(self) -> str:
        return f"{self.username}: {self.message[:40]}"
