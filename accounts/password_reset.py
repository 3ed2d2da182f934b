"""Password reset by mail that never fails with a 500.

Without EMAIL_URL there is no mail to send: the page says so (503) instead of letting allauth
try SMTP on localhost:25. With mail configured, a mail server that is down or refuses the
message gives the same clear page, not a traceback.
"""

import logging
import smtplib

from allauth.account import views as allauth_views
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def _unavailable(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request, "account/password_reset_unavailable.html", {"reason": reason}, status=503
    )


def password_reset(request: HttpRequest) -> HttpResponse:
    if not settings.EMAIL_CONFIGURED:
        return _unavailable(request, "not_configured")
    try:
        return allauth_views.password_reset(request)
    except (smtplib.SMTPException, OSError):
        logger.exception("password reset mail could not be sent")
        return _unavailable(request, "send_failed")
