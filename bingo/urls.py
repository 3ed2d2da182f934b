from django.urls import include, path

from bingo import views

app_name = "bingo"

urlpatterns = [
    path("", include("bingo.api.urls")),
    path("", views.home, name="home"),
    path("play/<str:game_id>", views.play, name="play"),
    path("call/<str:game_id>", views.call, name="call"),
    path("call/<str:game_id>/players", views.call_players, name="call-players"),
    path("games/<str:game_id>/screen", views.screen, name="screen"),
    path("print/<str:game_id>", views.print_cards, name="print"),
    path("verify/<str:game_id>", views.verify_page, name="verify-page"),
]
