from django.urls import path

from accounts import views
from accounts.api import views as api

app_name = "accounts"

# Mounted at the site root: Parsec's and CHROTE's auth paths are absolute.
urlpatterns = [
    path("", views.home, name="home"),
    path("activate", views.activate, name="activate"),
    path("account/", views.account, name="account"),
    path("account/devices/", views.devices, name="devices"),
    path("account/devices/<int:pk>/revoke", views.device_revoke, name="device-revoke"),
    path("auth/codes", api.AuthCodesView.as_view(), name="auth-codes"),
    path("auth/sessions", api.AuthSessionsView.as_view(), name="auth-sessions"),
    path("auth/me", api.MeView.as_view(), name="me"),
    path("auth/logout", api.LogoutView.as_view(), name="logout"),
]

# allauth reverses "<provider>_login" / "<provider>_callback" for its links and redirect_uri.
oauth_urlpatterns = [
    path("auth/github", views.oauth_start, {"provider": "github"}, name="github_login"),
    path(
        "auth/github/callback", views.oauth_callback, {"provider": "github"}, name="github_callback"
    ),
    path("auth/google", views.oauth_start, {"provider": "google"}, name="google_login"),
    path(
        "auth/google/callback", views.oauth_callback, {"provider": "google"}, name="google_callback"
    ),
]
