import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from config.ids import public_id

# ProofPlay guest identities (bingo only) get a synthetic address on this reserved domain.
GUEST_EMAIL_DOMAIN = "guest.bingo.invalid"


def new_public_id() -> str:
    return public_id("user")


def new_game_id() -> str:
    return secrets.token_hex(4)


def new_peer_id() -> str:
    return secrets.token_urlsafe(20)


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.value]


ROLE_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2, Role.OWNER: 3}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True, role=Role.OWNER, is_member=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """One person, however they authenticate.

    The terminal workspace is for members only: `role` counts only while `is_member` is set
    (the first account, an accepted workspace invite, or an admin adding them). A ProofPlay
    guest (`is_guest`) is a bingo-only identity: never a member, and its API sessions
    authenticate on `/bingo/` only.
    """

    public_id = models.CharField(max_length=40, unique=True, default=new_public_id, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    is_member = models.BooleanField(
        "workspace member",
        default=False,
        help_text="May use the terminal workspace with the role above.",
    )
    is_guest = models.BooleanField(
        "ProofPlay guest",
        default=False,
        editable=False,
        help_text="A bingo-only identity made by ProofPlay's POST /auth/session.",
    )
    peer_id = models.CharField(max_length=40, unique=True, default=new_peer_id, editable=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(role="owner"), name="superuser_is_owner"
            ),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(is_member=True), name="superuser_is_member"
            ),
            models.CheckConstraint(
                condition=Q(is_guest=False) | Q(is_member=False, is_staff=False),
                name="guest_is_not_member",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    def has_role(self, role: str) -> bool:
        """A workspace member with at least `role` (viewer < operator < admin < owner)."""
        return (
            self.is_active
            and self.is_member
            and not self.is_guest
            and Role(self.role).rank >= Role(role).rank
        )


class Application(models.Model):
    """A game or CLI registered by an admin; its `game_id` starts device logins."""

    name = models.CharField(max_length=100)
    game_id = models.CharField(max_length=64, unique=True, default=new_game_id)
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.game_id})"


class ApiSession(models.Model):
    """A bearer credential (device login's session id, ProofPlay's X-Session-Id).

    Only the SHA-256 digest of the token is stored; the token itself is shown once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions")
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API session"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.label or self.application or 'API session'}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class DeviceCode(models.Model):
    """Parsec's auth code: a `user_code` a person approves, a secret `hash` a device polls with."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"
        REDEEMED = "redeemed"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="codes")
    user_code = models.CharField(max_length=8, unique=True)
    device_digest = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    interval = models.PositiveSmallIntegerField()
    last_polled_at = models.DateTimeField(null=True, blank=True)
    request_ip = models.GenericIPAddressField(null=True, blank=True)
    request_user_agent = models.CharField(max_length=300, blank=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="device_codes"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    session = models.OneToOneField(
        ApiSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="device_code"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_code} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
