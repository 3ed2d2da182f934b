from django.urls import path

from watchparty import views
from watchparty.api import views as api

app_name = "watchparty"

urlpatterns = [
    path("health", api.HealthView.as_view(), name="health"),
    path("api/sessions/create", api.CreateView.as_view(), name="create"),
    path("api/sessions/join", api.JoinView.as_view(), name="join"),
    path("api/sessions/<str:session_id>", api.DetailsView.as_view(), name="details"),
    path("api/sessions/<str:session_id>/token", api.TokenRefreshView.as_view(), name="token"),
    path("", views.index, name="index"),
    path("join/<str:session_id>", views.join_page, name="join-page"),
    path("room/<str:session_id>", views.room_page, name="room-page"),
]
