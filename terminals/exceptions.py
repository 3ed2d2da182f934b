"""CHROTE's errors: REST bodies `{"error": code, "message"}`, socket `{"type": "error", ...}`."""

from config.errors import (
    BadRequestError,
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    UnavailableError,
)


class SessionNotFoundError(NotFoundError):
    code, message = "SESSION_NOT_FOUND", "Session not found"


class TmuxUnavailableError(UnavailableError):
    code, message = "UNAVAILABLE", "CHROTE API not available"


class TmuxCommandError(DomainError):
    status, code, message = 502, "TMUX_ERROR", "Error sending keys to tmux"


class NotOperatorError(ForbiddenError):
    code, message = "NOT_OPERATOR", "Only operators can send keys"


class ViewerCannotSendError(ForbiddenError):
    code, message = "FORBIDDEN", "Viewers cannot send keys"


class ClaimForbiddenError(ForbiddenError):
    code, message = "FORBIDDEN", "Operator role required to claim a session"


class AlreadyClaimedError(ForbiddenError):
    """403 with CHROTE's `claimedBy` and `expiresAt` beside the code and message."""

    code, message = "FORBIDDEN", "Session is claimed by another user"


class ClaimRequiredError(ForbiddenError):
    code, message = "CLAIM_REQUIRED", "Session is claimed by another user"


class NotClaimedError(ForbiddenError):
    code, message = "NOT_CLAIMED", "You must claim the session before sending keys"


class ReleaseForbiddenError(ForbiddenError):
    code, message = "FORBIDDEN", "Only the claim holder or an admin can release this claim"


class NoClaimError(NotFoundError):
    code, message = "NOT_FOUND", "Session is not claimed"


class AdminRequiredError(ForbiddenError):
    code, message = "FORBIDDEN", "Admin role required"


class SessionExistsError(ConflictError):
    code, message = "ALREADY_EXISTS", "A session with this name already exists"


class ValidationError(BadRequestError):
    code, message = "VALIDATION_ERROR", "Invalid input"


class RecordingNotFoundError(NotFoundError):
    code, message = "NOT_FOUND", "Recording not found"


class RecordingForbiddenError(ForbiddenError):
    code, message = "FORBIDDEN", "Only the claim holder or an admin can record a session"


class AlreadyRecordingError(ConflictError):
    code, message = "ALREADY_RECORDING", "This pane is already being recorded"


class NotMemberError(ForbiddenError):
    code, message = "FORBIDDEN", "You are not a member of this workspace"
