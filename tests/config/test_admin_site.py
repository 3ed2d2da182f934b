"""The Django admin reads as Lobby's: its own title, one section per app, real plurals."""

import re

import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_the_admin_index_has_one_section_per_app_and_real_plurals(client, user_factory):
    owner = user_factory(role=Role.OWNER, is_staff=True, is_superuser=True)
    client.force_login(owner)
    page = client.get("/admin/").content.decode()
    assert "Lobby administration" in page
    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert len(sections) == len(set(sections)), sections
    for app in ("Users and device login", "Invites and members", "Watch parties", "Avalon bot"):
        assert app in sections
    assert ">API sessions<" in page
    assert ">Watch parties<" in page
    assert "Watch partys" not in page and "Api sessions" not in page


def test_the_api_docs_say_how_to_get_each_credential(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    text = schema["info"]["description"]
    for step in ("POST /auth/codes", "/activate", "POST /bingo/auth/session", "X-CSRFToken"):
        assert step in text
