"""Addresses that would pass for someone else's: refused when an account is made or changed."""

import unicodedata

from confusable_homoglyphs import confusables
from django.core.exceptions import ValidationError

CONFUSABLE_MESSAGE = (
    "This address mixes look-alike characters from different alphabets; use the plain address."
)


def email_is_confusable(email: str) -> bool:
    """True when `email` is not in NFKC form or either part mixes scripts with look-alikes
    (`owner@exаmple.com` with a Cyrillic `а`), as django-registration checks."""
    if unicodedata.normalize("NFKC", email) != email:
        return True
    local, _, domain = email.rpartition("@")
    return bool(confusables.is_dangerous(local) or confusables.is_dangerous(domain))


def validate_email_not_confusable(email: str) -> None:
    if email_is_confusable(email):
        raise ValidationError(CONFUSABLE_MESSAGE, code="confusable")
