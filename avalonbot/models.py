import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone


def new_session_id() -> str:
    return secrets.token_hex(10)


class ApiKey(models.Model):
    """A key ProAvalon sends as its raw `Authorization` header. Only the SHA-256 digest is kept."""

    name = models.CharField(max_length=100)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="First characters of the key")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class BotSession(models.Model):
    """One game the bot plays for ProAvalon: the seat's set-up and, at the end, the result."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    EXPIRED = "expired"  # end_reason of a session ended for AVALON_SESSION_TTL without a call

    public_id = models.CharField(max_length=40, unique=True, default=new_session_id)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    key_label = models.CharField(max_length=100, blank=True)
    body = models.JSONField(help_text="The session body as received")
    setup = models.JSONField(help_text="The seat's knowledge, normalised")
    num_players = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=16)
    bot_name = models.CharField(max_length=100)
    seed = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(
        default=timezone.now, help_text="Last call naming this session (AVALON_SESSION_TTL)"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, blank=True)
    winner = models.CharField(max_length=16, blank=True)
    bot_won = models.BooleanField(null=True, blank=True)
    final_info = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(num_players__range=(5, 10)), name="avalon_session_players_5_10"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "last_seen_at"], name="avalon_session_idle"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.bot_name}, {self.role})"


class Decision(models.Model):
    """One answer the bot gave, with the top of its belief at that moment."""

    session = models.ForeignKey(BotSession, on_delete=models.CASCADE, related_name="decisions")
    index = models.PositiveIntegerField()
    phase = models.CharField(max_length=16)
    mission = models.PositiveSmallIntegerField()
    pick = models.PositiveSmallIntegerField()
    answer = models.JSONField()
    beliefs = models.JSONField(default=list)
    note = models.CharField(max_length=200, blank=True)
    game_info = models.JSONField()
    elapsed_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "index"], name="avalon_decision_index_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.phase} m{self.mission} p{self.pick}: {self.answer}"


class ArenaRun(models.Model):
    """One `avalon_arena` run: its parameters and the summary it printed."""

    created_at = models.DateTimeField(auto_now_add=True)
    agent = models.CharField(max_length=32)
    opponents = models.CharField(max_length=200)
    games = models.PositiveIntegerField(help_text="Deals played")
    seed = models.BigIntegerField()
    players = models.CharField(max_length=64)
    roles = models.CharField(max_length=200, blank=True)
    lady = models.BooleanField(default=True)
    http = models.BooleanField(default=False)
    duration_s = models.FloatField(default=0)
    summary = models.JSONField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"arena {self.created_at:%Y-%m-%d %H:%M} {self.agent} vs {self.opponents}"
