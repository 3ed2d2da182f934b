from django.urls import path

from watchparty.consumers import WatchPartyConsumer

websocket_urlpatterns = [
    path("ws/<str:session_id>", WatchPartyConsumer.as_asgi()),
]
