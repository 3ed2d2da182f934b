from django.urls import include, path

from avalonbot import views

app_name = "avalonbot"

urlpatterns = [
    path("", views.arena_page, name="arena"),
    path("", include("avalonbot.api.urls")),
]
