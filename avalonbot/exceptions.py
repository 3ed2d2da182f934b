from config.errors import BadRequestError, NotFoundError, UnauthorizedError


class BadApiKeyError(UnauthorizedError):
    message = "Missing or wrong Authorization header"


class SessionNotFoundError(NotFoundError):
    code, message = "SESSION_NOT_FOUND", "No session with this sessionID"


class BadGameError(BadRequestError):
    code = "UNSUPPORTED_GAME"


class BadGameInfoError(BadRequestError):
    code = "BAD_GAME_INFO"
