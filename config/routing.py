"""Every app's WebSocket routes, behind the Origin check and the auth middleware."""

from channels.routing import URLRouter
from django.urls import path

from avalonbot.routing import websocket_urlpatterns as avalonbot_ws
from bingo.routing import websocket_urlpatterns as bingo_ws
from config.websocket import LobbyAuthMiddlewareStack, OriginValidator
from terminals.routing import websocket_urlpatterns as terminals_ws
from watchparty.routing import websocket_urlpatterns as watchparty_ws

websocket_urlpatterns = [
    path("bingo/", URLRouter(bingo_ws)),
    path("watchparty/", URLRouter(watchparty_ws)),
    path("terminals/", URLRouter(terminals_ws)),
    path("avalon/", URLRouter(avalonbot_ws)),
]

websocket_application = OriginValidator(LobbyAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
