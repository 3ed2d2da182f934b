"""Bad input anywhere under the API prefixes: the right 4xx with that API's body, never a 500."""

import json

import pytest

pytestmark = pytest.mark.django_db


def post_raw(client, path, body, content_type="application/json"):
    return client.generic("POST", path, body, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    ['{"game_id": ', "{'game_id': 'x'}", "[1, 2", '{"game_id": NaN}', "\x00\x01", ""],
)
def test_malformed_json_is_400_parsec_body(client, application, body):
    r = post_raw(client, "/auth/codes", body)
    assert r.status_code == 400
    assert set(r.json()) == {"error"}
    assert "JSON" in r.json()["error"] or "game_id" in r.json()["error"]


def test_ten_thousand_deep_nesting_is_400_not_500(client, application):
    r = post_raw(client, "/auth/codes", "[" * 10_000 + "]" * 10_000)
    assert r.status_code == 400
    assert r.json() == {"error": "Malformed JSON: JSON nested too deeply"}


def test_nesting_of_65_levels_is_refused_and_64_accepted(client, application):
    deep = {"game_id": "spacegame", "x": json.loads("[" * 63 + "]" * 63)}  # 64 levels in all
    assert post_raw(client, "/auth/codes", json.dumps(deep)).status_code == 201
    deeper = {"game_id": "spacegame", "x": json.loads("[" * 64 + "]" * 64)}
    r = post_raw(client, "/auth/codes", json.dumps(deeper))
    assert r.status_code == 400
    assert "deeper than 64" in r.json()["error"]


def test_five_megabyte_body_is_413(client, application):
    body = json.dumps({"game_id": "x" * (5 * 1024 * 1024)})
    r = post_raw(client, "/auth/codes", body)
    assert r.status_code == 413
    assert r.json() == {"error": "Request body too large"}


def test_body_at_the_limit_is_read(client, application, settings):
    settings.LOBBY_MAX_BODY_BYTES = 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"game_id": "spacegame", "pad": ""})
    body = body.replace('"pad": ""', '"pad": "' + "p" * (1024 - len(body)) + '"')
    assert len(body) == 1024
    assert post_raw(client, "/auth/codes", body).status_code == 201
    assert post_raw(client, "/auth/codes", body + " ").status_code == 413


def test_wrong_content_type_is_415(client, application):
    r = post_raw(client, "/auth/codes", "game_id=spacegame", "application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert set(r.json()) == {"error"}


def test_unknown_api_path_is_json_404_in_that_apis_shape(client):
    r = client.get("/auth/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"error": "NOT_FOUND", "message": "Not found."}
    r = client.get("/bingo/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found."}
    r = client.get("/watchparty/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"error": "Not found", "message": "Not found."}


def test_unknown_page_is_html_404(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")


def test_wrong_method_is_json_405(client):
    r = client.get("/auth/codes")
    assert r.status_code == 405
    assert r.json() == {"error": 'Method "GET" not allowed.'}
    r = client.delete("/auth/me")
    assert r.status_code in (401, 405)
    assert set(r.json()) == {"error", "message"}


def test_create_code_rate_limit_is_429_with_retry_after(client, application, settings):
    settings.DEVICE_CODE_RATE = "3/m"
    for _ in range(3):
        assert post_raw(client, "/auth/codes", '{"game_id": "spacegame"}').status_code == 201
    r = post_raw(client, "/auth/codes", '{"game_id": "spacegame"}')
    assert r.status_code == 429
    assert r["Retry-After"] == "60"
    assert r.json() == {"error": "Too many requests"}


def test_host_header_not_allowed_is_json_400(client):
    r = client.get("/auth/me", HTTP_HOST="evil.example")
    assert r.status_code == 400
    assert r.json() == {"error": "BAD_REQUEST", "message": "Bad request"}
