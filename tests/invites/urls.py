"""Only the platform's and this app's URLs: lets the invites tests run while another app's URLs
are being written (LOBBY_INVITES_ISOLATED=1). The default run uses config.urls."""

from django.contrib import admin
from django.urls import include, path

from accounts.urls import oauth_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    *oauth_urlpatterns,
    path("accounts/", include("allauth.account.urls")),
    path("accounts/social/", include("allauth.socialaccount.urls")),
    path("", include("accounts.urls")),
    path("", include("invites.urls")),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
