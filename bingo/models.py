import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


def new_game_id() -> str:
    return secrets.token_hex(4)


def new_card_id() -> str:
    return "card_" + secrets.token_hex(6)


class Player(models.Model):
    """A bingo-only identity made by `POST /bingo/auth/session` for a caller who is not signed in.

    It owns a guest `accounts.User` (synthetic email, no password, role viewer) so API sessions,
    cards and sockets work the same for everybody. `email` is what the client claimed: it is
    echoed back and shown, never used to sign in as the platform account with that address.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bingo_player"
    )
    email = models.EmailField(max_length=254)
    device_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "device_digest"], name="bingo_player_device")
        ]

    def __str__(self) -> str:
        return f"{self.email} (guest)"


class Game(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting"
        ACTIVE = "active"
        FINISHED = "finished"

    public_id = models.CharField(max_length=8, unique=True, default=new_game_id, editable=False)
    pin = models.CharField(max_length=4)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bingo_games"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Fairness: S (hex) stays private until the game is finished; SHA256(S) is public at once.
    secret = models.CharField(max_length=64, editable=False)
    commitment = models.CharField(max_length=64, editable=False)
    commitment_token = models.BinaryField(editable=False)
    commitment_authority = models.CharField(max_length=200, editable=False)
    entropy = models.TextField(blank=True, editable=False)  # hex, fixed at the first draw
    winner = models.ForeignKey(
        "Card", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    won_at = models.DateTimeField(null=True, blank=True)
    # The audit chain's head after the "end" entry, time-stamped (see fairness.end_record).
    final_chain_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    final_chain_head = models.CharField(max_length=64, blank=True, editable=False)
    final_token = models.BinaryField(null=True, blank=True, editable=False)
    final_authority = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pin"], condition=~Q(status="finished"), name="bingo_pin_unique_live"
            ),
            models.CheckConstraint(
                condition=Q(pin__regex=r"^[0-9]{4}$"), name="bingo_pin_4_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class Card(models.Model):
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="cards")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bingo_cards"
    )
    card_id = models.CharField(max_length=20, unique=True, default=new_card_id, editable=False)
    numbers = models.JSONField(editable=False)
    layout_key = models.CharField(max_length=64, editable=False)
    marked = models.JSONField()
    client_seed = models.CharField(max_length=128, blank=True, editable=False)
    join_index = models.PositiveIntegerField(editable=False)
    display_name = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField()
    bingo_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["game", "join_index"]
        constraints = [
            models.UniqueConstraint(fields=["game", "user"], name="bingo_card_one_per_player"),
            models.UniqueConstraint(fields=["game", "layout_key"], name="bingo_card_unique_layout"),
            models.UniqueConstraint(fields=["game", "join_index"], name="bingo_card_join_order"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} in {self.game.public_id}"


class Draw(models.Model):
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="draws")
    sequence = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField()
    seed = models.CharField(max_length=64)
    seed_hash = models.CharField(max_length=64)
    anchor_id = models.CharField(max_length=200)
    authority = models.CharField(max_length=200)
    token = models.BinaryField()
    drawn_at = models.DateTimeField()
    # The audit chain's head when the draw was stamped; the token covers it with the seed hash
    # (fairness.draw_record). Null for draws stored before anchors (their token stamps seed_hash).
    chain_count = models.PositiveIntegerField(null=True, blank=True)
    chain_head = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["game", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["game", "number"], name="bingo_draw_number_once"),
            models.UniqueConstraint(fields=["game", "sequence"], name="bingo_draw_sequence_once"),
            models.CheckConstraint(condition=Q(number__range=(1, 75)), name="bingo_draw_1_75"),
            models.CheckConstraint(
                condition=Q(sequence__range=(1, 75)), name="bingo_draw_seq_1_75"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.game.public_id} #{self.sequence}: {self.number}"


class AuditEntry(models.Model):
    """One link of a game's append-only hash chain (see fairness.chain_hash)."""

    class Kind(models.TextChoices):
        CREATE = "create"
        JOIN = "join"
        DRAW = "draw"
        MARK = "mark"
        BINGO = "bingo"
        END = "end"

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="audit_entries")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["game", "seq"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.UniqueConstraint(fields=["game", "seq"], name="bingo_audit_seq_once"),
            models.UniqueConstraint(fields=["game", "prev_hash"], name="bingo_audit_no_fork"),
        ]

    def __str__(self) -> str:
        return f"{self.game.public_id} #{self.seq} {self.kind}"
