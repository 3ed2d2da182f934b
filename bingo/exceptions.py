"""ProofPlay's errors; config.errors.proofplay_handler renders them as {"detail": message}."""

import math

from config.errors import (
    BadRequestError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)


class SessionRequiredError(UnauthorizedError):
    message = "Session required"


class AdminRequiredError(ForbiddenError):
    message = "Admin access required"


class GameNotFoundError(NotFoundError):
    message = "Game not found"


class CardNotFoundError(NotFoundError):
    message = "Card not found"


class InvalidGameOrPinError(BadRequestError):
    message = "Invalid game ID or PIN"


class IncorrectPinError(BadRequestError):
    message = "Incorrect PIN"


class PinLockedError(BadRequestError):
    def __init__(self, seconds_left: float) -> None:
        minutes = max(1, math.ceil(seconds_left / 60))
        super().__init__(f"Too many failed attempts. Try again in {minutes} minutes.")


class GameFinishedError(BadRequestError):
    message = "Game has finished"


class DrawNotAllowedError(BadRequestError):
    message = "Not authorized or all numbers drawn"


class NotDrawnError(BadRequestError):
    def __init__(self, number: int) -> None:
        super().__init__(f"Number {number} has not been drawn yet")


class NotCreatorError(ForbiddenError):
    message = "Only the game's creator can do that"


class TimestampUnavailableError(DomainError):
    status, code, message = 503, "UNAVAILABLE", "Time-stamping authority unavailable"


class PinCheckUnavailableError(DomainError):
    """The lockout counters can't be read or written: no PIN is checked (fail closed)."""

    status, code = 503, "UNAVAILABLE"
    message = "PIN checks are unavailable right now. Try again in a minute."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "30"})
