from django.urls import path

from terminals import consumers

websocket_urlpatterns = [
    path("ws", consumers.SessionsConsumer.as_asgi()),
    path("ws/terminal/<str:session_id>", consumers.TerminalConsumer.as_asgi()),
]
