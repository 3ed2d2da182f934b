from django.urls import path

from avalonbot.api import views

urlpatterns = [
    path("v0/info", views.InfoView.as_view(), name="avalon-info"),
    path("v0/session", views.SessionView.as_view(), name="avalon-session"),
    path("v0/session/act", views.ActView.as_view(), name="avalon-act"),
    path("v0/session/delete", views.EndView.as_view(), name="avalon-delete"),
    path("v0/session/gameover", views.GameOverView.as_view(), name="avalon-gameover"),
]
