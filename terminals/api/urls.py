from django.urls import include, path

from terminals.api import views

urlpatterns = [
    path("sessions", views.SessionListView.as_view(), name="terminals-sessions"),
    path("sessions/<str:session_id>", views.SessionDetailView.as_view(), name="terminals-session"),
    path("sessions/<str:session_id>/claim", views.ClaimView.as_view(), name="terminals-claim"),
    path(
        "sessions/<str:session_id>/recording",
        views.SessionRecordingView.as_view(),
        name="terminals-recording",
    ),
    path(
        "tmux/sessions/<str:session>/panes/<str:pane>/capture",
        views.CaptureView.as_view(),
        name="terminals-capture",
    ),
    path("recordings", views.RecordingListView.as_view(), name="terminals-recordings-api"),
    path("", include("terminals.api.ui_urls")),  # CHROTE's web UI (its server's /api/...)
]
