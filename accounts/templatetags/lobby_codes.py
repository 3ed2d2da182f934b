"""`{{ code.user_code|user_code }}`: a stored device code (ABCD3456) as people read and type it
(ABCD-3456). Both forms are accepted at /activate (`selectors.normalize_user_code`)."""

from django import template

register = template.Library()


@register.filter
def user_code(value: str) -> str:
    value = str(value or "")
    if len(value) == 8 and "-" not in value:
        return f"{value[:4]}-{value[4:]}"
    return value
