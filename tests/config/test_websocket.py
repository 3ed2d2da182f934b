"""The WebSocket plumbing every consumer stands on: Origin check, who is connecting, safe frames."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from config.errors import ForbiddenError
from config.websocket import JsonConsumer, LobbyAuthMiddlewareStack, OriginValidator, origin_allowed


class WhoAmI(JsonConsumer):
    async def connect(self) -> None:
        await self.accept()
        user = self.scope["user"]
        await self.send_json(
            {"user": user.email if user.is_authenticated else None, "ip": self.scope["client_ip"]}
        )

    async def receive_json(self, content, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if content.get("forbidden"):
            raise ForbiddenError("Not for you")
        await self.send_json({"echo": content})


application = OriginValidator(LobbyAuthMiddlewareStack(URLRouter([path("who", WhoAmI.as_asgi())])))


def scope(
    origin: str | None, host: str = "lobby.example:8000", scheme: str = "ws", client="1.2.3.4"
):
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers, "client": (client, 5555)}


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("http://lobby.example:8000", True),
        ("https://lobby.example:8000", False),  # scheme differs
        ("http://lobby.example:8001", False),  # port differs
        ("http://lobby.example", False),  # default port 80 != 8000
        ("http://evil.example:8000", False),
        ("http://lobby.example:8000.evil.example", False),
        ("null", False),
        ("http://127.0.0.1:8000", True),  # in LOBBY_WEBSOCKET_ORIGINS (the CSRF trusted origins)
    ],
)
def test_origin_compares_scheme_host_and_port(origin, allowed):
    assert origin_allowed(scope(origin)) is allowed


def test_wss_socket_matches_https_origin():
    assert origin_allowed(scope("https://lobby.example", host="lobby.example", scheme="wss"))
    assert not origin_allowed(scope("http://lobby.example", host="lobby.example", scheme="wss"))


def test_forwarded_proto_only_from_a_trusted_proxy(settings):
    s = scope("https://lobby.example", host="lobby.example", scheme="ws", client="10.0.0.2")
    s["headers"].append((b"x-forwarded-proto", b"https"))
    assert not origin_allowed(s)
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert origin_allowed(s)


@pytest.mark.django_db(transaction=True)
async def test_foreign_origin_is_refused_at_the_handshake():
    comm = WebsocketCommunicator(application, "/who", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await comm.connect()
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_token_query_parameter_names_the_user(user_factory, bearer):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(user_factory)(email="tok@example.com")
    token = await sync_to_async(bearer)(user)
    comm = WebsocketCommunicator(application, f"/who?token={token}")
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from(timeout=2))["user"] == "tok@example.com"
    await comm.disconnect()

    comm = WebsocketCommunicator(application, "/who?token=wrong")
    await comm.connect()
    assert (await comm.receive_json_from(timeout=2))["user"] is None
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_session_cookie_names_the_user(user_factory):
    from asgiref.sync import sync_to_async
    from django.conf import settings

    from tests.conftest import session_cookie_for

    user = await sync_to_async(user_factory)(email="cookie@example.com")
    cookie = await sync_to_async(session_cookie_for)(user)
    headers = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())]
    comm = WebsocketCommunicator(application, "/who", headers=headers)
    await comm.connect()
    assert (await comm.receive_json_from(timeout=2))["user"] == "cookie@example.com"
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"bytes_data": b"\x00\x01"}, "INVALID_MESSAGE"),
        ({"text_data": "{not json"}, "INVALID_MESSAGE"),
        ({"text_data": "[" * 100 + "]" * 100}, "INVALID_MESSAGE"),
        ({"text_data": '"' + "x" * (64 * 1024) + '"'}, "INVALID_MESSAGE"),
        ({"text_data": '{"forbidden": true}'}, "FORBIDDEN"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_up(frame, code):
    comm = WebsocketCommunicator(application, "/who")
    await comm.connect()
    await comm.receive_json_from(timeout=2)
    if "bytes_data" in frame:
        await comm.send_to(bytes_data=frame["bytes_data"])
    else:
        await comm.send_to(text_data=frame["text_data"])
    error = await comm.receive_json_from(timeout=2)
    assert error["type"] == "error"
    assert error["code"] == code
    await comm.send_json_to({"still": "here"})
    assert await comm.receive_json_from(timeout=2) == {"echo": {"still": "here"}}
    await comm.disconnect()
