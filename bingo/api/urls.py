from django.urls import path

from bingo.api import views

urlpatterns = [
    path("auth/session", views.SessionView.as_view(), name="session"),
    path("games", views.GameCreateView.as_view(), name="game-create"),
    path("games/<str:game_id>", views.GameView.as_view(), name="game"),
    path("games/<str:game_id>/join", views.JoinView.as_view(), name="join"),
    path("games/<str:game_id>/card", views.CardView.as_view(), name="card"),
    path("games/<str:game_id>/mark", views.MarkView.as_view(), name="mark"),
    path("games/<str:game_id>/draw", views.DrawView.as_view(), name="draw"),
    path("games/<str:game_id>/end", views.EndView.as_view(), name="end"),
    path("games/<str:game_id>/verify", views.VerifyView.as_view(), name="verify"),
    path("health", views.HealthView.as_view(), name="health"),
    path("ready", views.ReadyView.as_view(), name="ready"),
    path("tsa/certificate.pem", views.certificate, name="tsa-certificate"),
]
