from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.services import first_account_promote
from accounts.validators import email_is_confusable, validate_email_not_confusable
from config.net import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        validate_email_not_confusable(email)
        return email

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        """A new account is not a workspace member, unless it is the very first one (owner)."""
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            first_account_promote(user=user)
        return user

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count: Lobby's one rule (X-Forwarded-For only from
        LOBBY_TRUSTED_PROXIES), so behind nginx each client has its own limits."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:  # type: ignore[no-untyped-def]
        email = sociallogin.user.email or ""
        return settings.ACCOUNT_ALLOW_SIGNUP and not email_is_confusable(email)

    def populate_user(self, request: HttpRequest, sociallogin, data):  # type: ignore[no-untyped-def]
        """Name and avatar from the provider; the email is the login."""
        user = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data or {}
        user.name = (data.get("name") or extra.get("name") or extra.get("login") or "")[:150]
        user.avatar_url = (sociallogin.account.get_avatar_url() or "")[:500]
        user.email = (user.email or "").lower()
        return user

    def save_user(self, request, sociallogin, form=None):  # type: ignore[no-untyped-def]
        user = super().save_user(request, sociallogin, form=form)
        first_account_promote(user=user)
        return user
