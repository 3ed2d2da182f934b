"""A Content-Security-Policy on every response, no inline script in any page, and 405 for TRACE
and every other method no route answers."""

import json
import re
from pathlib import Path

import pytest
from channels.testing import HttpCommunicator

from config.asgi import application

ROOT = Path(__file__).resolve().parents[2]

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https://avatars.githubusercontent.com https://*.googleusercontent.com; "
    "font-src 'self' data:; media-src 'self' https: http: blob:; connect-src 'self'; "
    "frame-src 'none'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/health", 200),
        ("/bingo/", 200),
        ("/watchparty/", 200),
        ("/accounts/login/", 200),
        ("/api/docs/", 200),
        ("/admin/login/", 200),
        ("/auth/me", 401),
        ("/no-such-page", 404),
        ("/bingo/games/nope", 404),
    ],
)
def test_every_response_carries_the_content_security_policy(client, path, status):
    r = client.get(path)
    assert r.status_code == status
    assert r["Content-Security-Policy"] == POLICY


def _templates() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html"))
    found += sorted(ROOT.glob("*/templates/**/*.html"))
    return [p for p in found if ".venv" not in p.parts]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def test_no_page_has_an_inline_script_or_event_handler():
    """script-src 'self' blocks them: each would be a page feature that silently stops working."""
    offenders = []
    for path in _templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert len(_templates()) > 20
    assert offenders == []


@pytest.mark.django_db
def test_swagger_ui_starts_from_a_script_file_not_an_inline_script(client):
    html = client.get("/api/docs/").content.decode()
    assert INLINE_SCRIPT.search(html) is None
    r = client.get("/api/docs/?script=")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in r.content
    assert b'"validatorUrl": null' in r.content  # no badge fetched from validator.swagger.io


async def asgi(method: str, path: str) -> dict:
    """One request through config.asgi.application, the app Daphne serves (static files too)."""
    communicator = HttpCommunicator(application, method, path, headers=[(b"host", b"127.0.0.1")])
    try:
        await communicator.send_input({"type": "http.request", "body": b""})
        response = await communicator.receive_output(timeout=5)
        assert response["type"] == "http.response.start"
        response["body"] = b""
        while True:  # a file arrives in chunks, the first of which may carry no body
            chunk = await communicator.receive_output(timeout=5)
            response["body"] += chunk.get("body", b"")
            if not chunk.get("more_body", False):
                return response
    finally:
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)


ALLOW = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/codes", {"error": 'Method "TRACE" not allowed.'}),
        ("/bingo/health", {"detail": 'Method "TRACE" not allowed.'}),
        (
            "/watchparty/health",
            {"error": "Method not allowed", "message": 'Method "TRACE" not allowed.'},
        ),
        (
            "/terminals/api/sessions",
            {"error": "METHOD_NOT_ALLOWED", "message": 'Method "TRACE" not allowed.'},
        ),
    ],
)
async def test_trace_on_an_api_is_405_with_its_error_body(path, body):
    r = await asgi("TRACE", path)
    assert r["status"] == 405
    headers = dict(r["headers"])
    assert headers[b"allow"] == ALLOW
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(r["body"]) == body


@pytest.mark.parametrize("path", ["/health", "/", "/accounts/login/", "/static/css/lobby.css"])
@pytest.mark.parametrize("method", ["TRACE", "TRACK", "PROPFIND", "CONNECT", "FOO"])
async def test_methods_no_route_answers_are_405_everywhere(path, method):
    r = await asgi(method, path)
    assert r["status"] == 405
    assert dict(r["headers"])[b"allow"] == ALLOW
    assert r["body"] == f'Method "{method}" not allowed.'.encode()


async def test_the_allowed_methods_still_reach_the_routes():
    r = await asgi("GET", "/health")
    assert r["status"] == 200
    assert json.loads(r["body"]) == {"status": "ok"}
    r = await asgi("GET", "/static/css/lobby.css")
    assert r["status"] == 200
    assert r["body"] == (ROOT / "static/css/lobby.css").read_bytes()
