from config.errors import BadRequestError, ForbiddenError, NotFoundError, RateLimitedError


class HostInviteNotFoundError(NotFoundError):
    message = "Invite not found"


class InviteUnavailableError(BadRequestError):
    """A host invite that can no longer be redeemed; `reason` says why."""

    code = "INVITE_UNAVAILABLE"
    messages = {
        "expired": "This invite has expired.",
        "revoked": "This invite has been revoked by its creator.",
        "used_up": "This invite has been used the maximum number of times.",
        "target_gone": "What this invite was for no longer exists.",
        "creator_not_allowed": "The person who made this invite may no longer invite people there.",
    }

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(self.messages[reason], details={"reason": reason})


class UnknownTargetError(BadRequestError):
    message = "Unknown invite target"


class TargetNotAllowedError(ForbiddenError):
    message = "You may not invite people to this target"


class UserNotFoundError(NotFoundError):
    message = "User not found"


class RoleChangeForbiddenError(ForbiddenError):
    pass


class InviteRoleForbiddenError(ForbiddenError):
    message = "Only owners can create admin invites"


class WorkspaceInviteNotFoundError(NotFoundError):
    message = "Invite not found"


class InvalidInviteTokenError(BadRequestError):
    code, message = "INVALID_TOKEN", "Invite token invalid or expired"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(details={"reason": reason})


class TooManyLookupsError(RateLimitedError):
    message = "Too many unknown invite codes. Wait a minute and try again."
