"""Every app's WebSocket routes, behind the Origin check; all but WatchParty's behind auth too.

A watch-party socket's only credential is its room token (`?token=`): cookies name no one there.
So it skips the session and auth middleware, which would look the token up as an API session
when the socket opens and wrap every frame it sends. Bingo's sockets are the only ones where a
ProofPlay guest's session names its guest.
"""

from typing import Any

from channels.routing import URLRouter
from django.conf import settings
from django.urls import path

from bingo.routing import websocket_urlpatterns as bingo_ws
from config.limits import SocketsPerAddress
from config.websocket import LobbyAuthMiddlewareStack, OriginValidator
from terminals.routing import websocket_urlpatterns as terminals_ws
from watchparty.routing import websocket_urlpatterns as watchparty_ws

websocket_urlpatterns = [
    path("terminals/", URLRouter(terminals_ws)),
]

# WatchParty's own web app may be served from its own origin (WATCHPARTY_CORS_ORIGINS): its
# sockets allow that origin too; no other app's do.
_watchparty = OriginValidator(
    URLRouter([path("watchparty/", URLRouter(watchparty_ws))]),
    also=lambda: settings.WATCHPARTY_CORS_ORIGINS,
)
_bingo = OriginValidator(
    LobbyAuthMiddlewareStack(URLRouter([path("bingo/", URLRouter(bingo_ws))]), allow_guest=True)
)
_authenticated = OriginValidator(LobbyAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


async def _by_app(scope: dict, receive: Any, send: Any) -> Any:
    path_ = scope["path"]
    if path_.startswith("/watchparty/"):
        app = _watchparty
    elif path_.startswith("/bingo/"):
        app = _bingo
    else:
        app = _authenticated
    return await app(scope, receive, send)


# Every socket route counts against its address's cap first (config/limits.py).
websocket_application = SocketsPerAddress(_by_app)
