"""Claims, who is watching, who typed what, and recordings: rows, so every process agrees."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Claim(models.Model):
    """Exclusive control of one tmux session. At most one row per session (the constraint holds
    it across processes); a row whose `expires_at` has passed is no claim at all."""

    session_name = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terminal_claims"
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["session_name"]

    def __str__(self) -> str:
        return f"{self.session_name} claimed by {self.user}"

    @property
    def is_live(self) -> bool:
        return self.expires_at > timezone.now()


class Viewer(models.Model):
    """One socket subscribed to one session (presence). `seen_at` is refreshed while it lives,
    so rows left by a process that died stop counting after TERMINALS_PRESENCE_TTL."""

    session_name = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terminal_views"
    )
    channel_name = models.CharField(max_length=200)
    connected_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session_name", "channel_name"], name="terminals_viewer_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} watching {self.session_name}"


class KeyEvent(models.Model):
    """Who typed what: every sendKeys, written before the keys reach tmux."""

    # The audit trail outlives the account: removing a user keeps who it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="terminal_keys",
    )
    user_public_id = models.CharField(max_length=40, db_index=True)
    user_email = models.EmailField(max_length=254)
    session_name = models.CharField(max_length=64, db_index=True)
    pane = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    source = models.CharField(max_length=16, default="ws")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_email} → {self.session_name}:{self.pane} ({self.size} bytes)"

    @property
    def text(self) -> str:
        return bytes(self.data).decode("utf-8", "replace")


class Recording(models.Model):
    """An asciicast v2 file of one pane's output, written by a `pipe-pane` helper process."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session_name = models.CharField(max_length=64, db_index=True)
    pane_id = models.CharField(max_length=16)
    pane = models.CharField(max_length=16)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="terminal_recordings",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    path = models.CharField(max_length=500)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # one live recording per pane
            models.UniqueConstraint(
                fields=["pane_id", "session_name"],
                condition=models.Q(ended_at__isnull=True),
                name="terminals_one_live_recording",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_name}:{self.pane} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None
