"""`{% mail_configured %}`: whether Lobby can send mail (EMAIL_URL is set), for templates that
allauth renders without a request context (the password field's "Forgot your password?")."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def mail_configured() -> bool:
    return bool(settings.EMAIL_CONFIGURED)
