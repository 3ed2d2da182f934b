"""In Chromium against a live Daphne: my invites, the /g/<code> landing page, the workspace
invite page and the members page, as their users would use them."""

import re

import pytest

from accounts.models import Role, User
from invites.models import HostInvite, HostInviteRedemption, WorkspaceInvite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-Horse-9"


@pytest.fixture
def other_page(browser, live_server_url):  # type: ignore[no-untyped-def]
    """A second, separate browser (someone else)."""
    context = browser.new_context(base_url=live_server_url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in_with_form(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")


def test_host_invite_create_copy_share_join_and_audit(
    page, other_page, login, live_server_url, user_factory
):
    host = user_factory(email="host@example.com", name="Hana Host", password=PASSWORD)
    user_factory(email="guest@example.com", name="Gus Guest", password=PASSWORD)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)
    login(page, host)

    page.goto("/invites/")
    page.select_option("[data-testid=expires-in]", "3600")
    page.fill("[data-testid=max-grants]", "2")
    page.click("[data-testid=create]")
    row = page.locator("[data-testid=invite-row]")
    assert row.count() == 1
    code = row.get_attribute("data-code")
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    assert row.locator("[data-testid=grants]").text_content().strip() == "0 / 2"

    row.locator("[data-testid=copy]").click()
    page.wait_for_selector("[data-testid=copy]:has-text('Copied!')")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == f"{live_server_url}/g/{code}"

    # The guest opens the link, signed out: who, what, until when, how many uses left.
    other_page.goto(link)
    assert other_page.text_content("[data-testid=inviter]") == "Hana Host"
    assert other_page.text_content("[data-testid=uses-left]") == "2 of 2"
    other_page.click("[data-testid=sign-in-to-join]")
    sign_in_with_form(other_page, "guest@example.com")
    other_page.wait_for_url(f"**/g/{code}")  # back to the invite after signing in
    other_page.click("[data-testid=join]")
    other_page.wait_for_url(f"{live_server_url}/")
    assert HostInvite.objects.get(code=code).grants == 1

    # Coming back does not use another grant.
    other_page.goto(f"/g/{code}")
    assert other_page.locator("[data-testid=already]").count() == 1
    other_page.click("[data-testid=join]")
    other_page.wait_for_url(f"{live_server_url}/")
    assert HostInvite.objects.get(code=code).grants == 1

    # The host sees who joined, when and from where.
    page.goto(f"/invites/{code}/")
    assert page.text_content("[data-testid=grants]") == "1 of 2"
    rows = page.locator("[data-testid=redemption-row]")
    assert rows.count() == 1
    assert "Gus Guest" in rows.text_content()
    assert rows.locator("[data-testid=ip]").text_content() == "127.0.0.1"
    assert HostInviteRedemption.objects.get().ip == "127.0.0.1"

    # Revoked: the landing page says so and offers no way in.
    page.click("[data-testid=revoke]")
    page.wait_for_selector("[data-testid=status]:has-text('revoked')")
    other_page.goto(f"/g/{code}")
    assert "revoked" in other_page.text_content("[data-testid=unavailable]")
    assert other_page.locator("[data-testid=join]").count() == 0


def test_used_up_invite_says_so(page, login, user_factory):
    from invites import services

    host = user_factory(password=None)
    invite = services.host_invite_create(creator=host, expires_in=600, max_grants=1)
    services.host_invite_redeem(code=invite.code, user=user_factory(password=None))
    login(page, user_factory(password=None))
    page.goto(f"/g/{invite.code}")
    assert "maximum number of times" in page.text_content("[data-testid=unavailable]")
    assert page.text_content("[data-testid=uses-left]") == "0 of 1"
    page.goto("/g/ZZZZZZZZ")
    assert "Invite not found" in page.text_content("h1")


def test_members_page_invite_link_accept_role_change_and_removal(
    page, other_page, login, user_factory
):
    owner = user_factory(email="owner@example.com", role=Role.OWNER, password=PASSWORD)
    newcomer = user_factory(email="new@example.com", name="Nell New", password=PASSWORD)
    leaver = user_factory(email="leaver@example.com", role=Role.OPERATOR, password=None)
    login(page, owner)

    page.goto("/terminals/members/")
    page.select_option("[data-testid=invite-role]", "operator")
    page.click("[data-testid=create-invite]")
    url = page.input_value("[data-testid=new-invite-url]")
    assert "/terminals/invite/" in url
    assert WorkspaceInvite.objects.get().role == "operator"

    # The newcomer follows the link: sign in, come back, accept.
    other_page.goto(url)
    assert other_page.text_content("[data-testid=role]") == "operator"
    other_page.click("[data-testid=sign-in-to-join]")
    sign_in_with_form(other_page, "new@example.com")
    other_page.wait_for_url(url)
    other_page.click("[data-testid=accept]")
    other_page.wait_for_url("**/terminals/")
    newcomer.refresh_from_db()
    assert newcomer.role == Role.OPERATOR
    assert WorkspaceInvite.objects.get().used_count == 1

    # The owner makes the newcomer an admin, then removes the leaver.
    page.goto("/terminals/members/")
    row = page.locator(f"[data-testid=member-row][data-user={newcomer.public_id}]")
    row.locator("[data-testid=role-select]").select_option("admin")
    row.locator("[data-testid=change-role]").click()
    page.wait_for_selector("text=Nell New is now admin")
    newcomer.refresh_from_db()
    assert newcomer.role == Role.ADMIN

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"[data-testid=member-row][data-user={leaver.public_id}]").locator(
        "[data-testid=remove]"
    ).click()
    page.wait_for_selector("text=was removed from the workspace")
    leaver = User.objects.get(pk=leaver.pk)
    assert not leaver.is_member  # out of the workspace; the account itself stays
    assert leaver.is_active
    assert page.locator(f"[data-testid=member-row][data-user={leaver.public_id}]").count() == 0

    # The new admin sees the members page, but cannot touch the owner.
    other_page.goto("/terminals/members/")
    owner_row = other_page.locator(f"[data-testid=member-row][data-user={owner.public_id}]")
    assert owner_row.locator("[data-testid=remove]").count() == 0
    assert owner_row.locator("[data-testid=role-select]").count() == 0

    # Revoke the link; it stops working.
    page.goto("/terminals/members/")
    page.click("[data-testid=revoke-invite]")
    page.wait_for_selector("text=Invite revoked.")
    other_page.goto(url)
    assert "revoked" in other_page.text_content("[data-testid=unavailable]")
