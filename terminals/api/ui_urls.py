"""CHROTE's UI routes (its server's `/api/...`), mounted at `/terminals/api/`."""

from django.urls import path

from terminals.api import ui_views as views

urlpatterns = [
    path("auth/me", views.AuthMeView.as_view(), name="terminals-ui-me"),
    path("auth/status", views.AuthStatusView.as_view(), name="terminals-ui-status"),
    path("auth/logout", views.AuthLogoutView.as_view(), name="terminals-ui-logout"),
    path("auth/github", views.auth_start, {"provider": "github"}, name="terminals-ui-github"),
    path("auth/google", views.auth_start, {"provider": "google"}, name="terminals-ui-google"),
    path("terminal/sessions", views.SessionsView.as_view(), name="terminals-ui-sessions"),
    path("terminal/sessions/<str:name>", views.SessionView.as_view(), name="terminals-ui-session"),
    path(
        "terminal/sessions/<str:name>/capture",
        views.CaptureView.as_view(),
        name="terminals-ui-capture",
    ),
    path("terminal/sessions/<str:name>/lock", views.LockView.as_view(), name="terminals-ui-lock"),
    path(
        "terminal/sessions/<str:name>/release",
        views.ReleaseView.as_view(),
        name="terminals-ui-release",
    ),
    path("terminal/locks", views.LocksView.as_view(), name="terminals-ui-locks"),
]
