"""WatchParty's errors; `code` is the documented title the body's "error" field carries."""

from config.errors import DomainError


class SessionNotFoundError(DomainError):
    status, code = 404, "Session not found"
    message = "The session you're trying to join doesn't exist or has expired"


class AuthenticationFailedError(DomainError):
    status, code, message = 401, "Authentication failed", "Invalid or expired token"


class LeftSessionError(AuthenticationFailedError):
    """The token predates the member's explicit leave: it is revoked."""

    message = "You left this session"


class InvalidPasswordError(AuthenticationFailedError):
    message = "Invalid password"


class SessionFullError(DomainError):
    status, code = 403, "Session full"
    message = "This session has reached the maximum number of participants"


class ValidationFailedError(DomainError):
    status, code, message = 400, "Validation failed", "Invalid input"


class NotHostError(DomainError):
    status, code, message = 403, "Forbidden", "Only the host can do this"


class ParticipantNotFoundError(DomainError):
    status, code, message = 404, "Participant not found", "No such participant in this session"


class InvalidMessageError(DomainError):
    status, code, message = 400, "Invalid message", "Invalid message"


class WatchPartyRateLimitedError(DomainError):
    status, code, message = 429, "Rate limit exceeded", "Too many requests"
