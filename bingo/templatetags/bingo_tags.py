"""Template helpers for bingo pages: `{{ n|ball }}` reads 15 as "B15"."""

from __future__ import annotations

from django import template

register = template.Library()

LETTERS = "BINGO"


@register.filter
def ball(number: object) -> str:
    """The call as players say it: B 1-15, I 16-30, N 31-45, G 46-60, O 61-75.

    Anything that is not a ball number 1-75 comes back as its text, unlabelled.
    """
    try:
        n = int(str(number))
    except ValueError:
        return str(number)
    if not 1 <= n <= 75:
        return str(number)
    return f"{LETTERS[(n - 1) // 15]}{n}"
