from config.errors import BadRequestError, DomainError, NotFoundError, UnauthorizedError


class UnknownApplicationError(BadRequestError):
    message = "Unknown game_id"


class AuthCodeInvalidError(UnauthorizedError):
    """Parsec: 401 for an auth code that is unknown, denied, expired or already redeemed."""

    message = "The auth code is invalid or has been denied"


class UnknownAuthCodeError(AuthCodeInvalidError):
    """No code has this hash: a guess, which counts against the address (accounts.limits)."""

    message = "Unknown auth code"


class DeviceCodeNotFoundError(NotFoundError):
    message = "That code is not valid. Check it and try again."


class DeviceCodeNotPendingError(DomainError):
    status, code = 409, "CONFLICT"
    message = "That code has already been used, denied or has expired."


class ApiSessionNotFoundError(NotFoundError):
    message = "No such session"
