from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:  # type: ignore[no-untyped-def]
        return settings.ACCOUNT_ALLOW_SIGNUP

    def populate_user(self, request: HttpRequest, sociallogin, data):  # type: ignore[no-untyped-def]
        """Name and avatar from the provider; the email is the login."""
        user = super().populate_user(request, sociallogin, data)
        extra = sociallogin.account.extra_data or {}
        user.name = (data.get("name") or extra.get("name") or extra.get("login") or "")[:150]
        user.avatar_url = (sociallogin.account.get_avatar_url() or "")[:500]
        user.email = (user.email or "").lower()
        return user
