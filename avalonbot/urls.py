from django.urls import include, path

from avalonbot import views

app_name = "avalonbot"

urlpatterns = [
    path("", views.arena_page, name="arena"),
    path("sessions/<str:session_id>", views.session_page, name="session"),
    path("", include("avalonbot.api.urls")),
]
