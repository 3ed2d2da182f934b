from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiSession, DeviceCode, User
from config.ids import UNAMBIGUOUS_ALPHABET


def normalize_user_code(raw: str) -> str:
    """What a person typed (any case, spaces or dashes) as a stored user code, or ''."""
    code = "".join(ch for ch in raw.upper() if not ch.isspace() and ch != "-")
    if len(code) != 8 or any(ch not in UNAMBIGUOUS_ALPHABET for ch in code):
        return ""
    return code


def device_code_get_pending(*, user_code: str) -> DeviceCode | None:
    code = normalize_user_code(user_code)
    if not code:
        return None
    return (
        DeviceCode.objects.select_related("application")
        .filter(user_code=code, status=DeviceCode.Status.PENDING, expires_at__gt=timezone.now())
        .first()
    )


def api_session_list(*, user: User) -> QuerySet[ApiSession]:
    return ApiSession.objects.filter(user=user).select_related("application")


def api_session_get(*, user: User, pk: int) -> ApiSession | None:
    return ApiSession.objects.filter(user=user, pk=pk).first()
