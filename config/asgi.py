import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from config.middleware import MethodAllowlist  # noqa: E402
from config.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": MethodAllowlist(ASGIStaticFilesHandler(django_asgi_app)),
        "websocket": websocket_application,
    }
)
