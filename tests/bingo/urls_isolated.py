"""Only for running bingo's tests while another app's URLs are mid-edit in the shared tree."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("bingo/", include("bingo.urls")),
]
