"""Every app's WebSocket routes, behind the Origin check; all but WatchParty's behind auth too.

A watch-party socket's only credential is its room token (`?token=`): cookies name no one there.
So it skips the session and auth middleware, which would look the token up as an API session
when the socket opens and wrap every frame it sends.
"""

from typing import Any

from channels.routing import URLRouter
from django.conf import settings
from django.urls import path

from avalonbot.routing import websocket_urlpatterns as avalonbot_ws
from bingo.routing import websocket_urlpatterns as bingo_ws
from config.websocket import LobbyAuthMiddlewareStack, OriginValidator
from terminals.routing import websocket_urlpatterns as terminals_ws
from watchparty.routing import websocket_urlpatterns as watchparty_ws

websocket_urlpatterns = [
    path("bingo/", URLRouter(bingo_ws)),
    path("terminals/", URLRouter(terminals_ws)),
    path("avalon/", URLRouter(avalonbot_ws)),
]

# WatchParty's own web app may be served from its own origin (WATCHPARTY_CORS_ORIGINS): its
# sockets allow that origin too; no other app's do.
_watchparty = OriginValidator(
    URLRouter([path("watchparty/", URLRouter(watchparty_ws))]),
    also=lambda: settings.WATCHPARTY_CORS_ORIGINS,
)
_authenticated = OriginValidator(LobbyAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


async def _by_app(scope: dict, receive: Any, send: Any) -> Any:
    app = _watchparty if scope["path"].startswith("/watchparty/") else _authenticated
    return await app(scope, receive, send)


websocket_application = _by_app
