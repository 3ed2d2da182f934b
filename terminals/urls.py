from django.urls import include, path

from terminals import views

app_name = "terminals"

urlpatterns = [
    path("api/", include("terminals.api.urls")),
    path("", views.session_list, name="list"),
    path("s/<str:session_id>", views.terminal, name="terminal"),
    path("recordings", views.recording_list, name="recordings"),
    path("recordings/<str:recording_id>.cast", views.recording_file, name="recording-file"),
    path("recordings/<str:recording_id>", views.recording_player, name="recording"),
]
