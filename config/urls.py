from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.password_reset import password_reset
from accounts.urls import oauth_urlpatterns
from config import views

admin.site.site_header = "Lobby administration"
admin.site.site_title = "Lobby admin"
admin.site.index_title = "Everything Lobby stores, by app"

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("health", views.health, name="health"),
    path("ready", views.ready, name="ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    *oauth_urlpatterns,
    # Before allauth's own route: without mail configured, or with the mail server down,
    # the reset request shows a clear page instead of a 500.
    path("accounts/password/reset/", password_reset),
    path("accounts/", include("allauth.account.urls")),
    path("accounts/social/", include("allauth.socialaccount.urls")),
    path("", include("accounts.urls")),
    path("", include("invites.urls")),
    path("bingo/", include("bingo.urls")),
    path("watchparty/", include("watchparty.urls")),
    path("terminals/", include("terminals.urls")),
    path("avalon/", include("avalonbot.urls")),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
