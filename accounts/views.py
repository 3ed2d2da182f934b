"""Server-rendered pages: home, my account, my devices, and /activate for device logins."""

from allauth.socialaccount.providers.github import views as github_views
from allauth.socialaccount.providers.google import views as google_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import get_usage

from accounts import selectors, services
from accounts.exceptions import DeviceCodeNotPendingError
from config.errors import NotFoundError, json_error

OAUTH_VIEWS = {"github": github_views, "google": google_views}
PROVIDER_NAMES = {"github": "GitHub", "google": "Google"}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html")


@login_required
def devices(request: HttpRequest) -> HttpResponse:
    sessions = selectors.api_session_list(user=request.user)
    return render(request, "accounts/devices.html", {"sessions": sessions})


@login_required
@require_POST
def device_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.api_session_get(user=request.user, pk=pk)
    if session is None:
        raise Http404
    services.api_session_revoke(session=session)
    messages.success(request, f"Signed out “{session.label or 'API session'}”.")
    return redirect("accounts:devices")


def _wrong_code_limited(request: HttpRequest, *, increment: bool) -> bool:
    """Wrong codes are limited per user and per IP, so guessing is slow from any direction.

    Checking (increment=False) says whether the limit is used up; a wrong code increments.
    """
    rate = settings.ACTIVATE_WRONG_CODE_RATE
    limited = False
    for key in ("user", "ip"):
        usage = get_usage(request, group="activate", key=key, rate=rate, increment=increment)
        limited = limited or (usage is not None and usage["count"] >= usage["limit"])
    return limited


@login_required
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """Step 1: type the code (or arrive with ?code=). Step 2: see what asks, approve or deny."""
    raw = request.POST.get("user_code") or request.GET.get("code") or ""
    decision = request.POST.get("decision")
    context: dict = {"user_code": raw}
    if not raw:
        return render(request, "accounts/activate.html", context)
    if _wrong_code_limited(request, increment=False):
        context["error"] = "Too many wrong codes. Wait a few minutes and try again."
        return render(request, "accounts/activate.html", context, status=429)

    code = selectors.device_code_get_pending(user_code=raw)
    if code is None:
        _wrong_code_limited(request, increment=True)
        context["error"] = "That code is not valid, or it has expired. Check it and try again."
        return render(request, "accounts/activate.html", context, status=404)

    if request.method == "POST" and decision in ("approve", "deny"):
        try:
            if decision == "approve":
                services.device_code_approve(code=code, user=request.user)
            else:
                services.device_code_deny(code=code, user=request.user)
        except DeviceCodeNotPendingError as exc:
            context["error"] = exc.message
            return render(request, "accounts/activate.html", context, status=409)
        return render(request, "accounts/activate_done.html", {"code": code, "decision": decision})
    return render(request, "accounts/activate_confirm.html", {"code": code})


def _oauth_view(request: HttpRequest, provider: str, step: str) -> HttpResponse:
    if provider not in settings.SOCIALACCOUNT_PROVIDERS:
        message = f"{PROVIDER_NAMES[provider]} sign-in is not configured on this server"
        return json_error(request, NotFoundError(message))
    return getattr(OAUTH_VIEWS[provider], step)(request)


def oauth_start(request: HttpRequest, provider: str) -> HttpResponse:
    """CHROTE's `GET /auth/<provider>`: 302 to the provider, through allauth."""
    return _oauth_view(request, provider, "oauth2_login")


def oauth_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """CHROTE's `GET /auth/<provider>/callback`: allauth finishes the sign-in."""
    return _oauth_view(request, provider, "oauth2_callback")
