"""Sign-up refuses addresses that would pass for someone else's."""

import pytest

from accounts.models import User
from accounts.validators import email_is_confusable

pytestmark = pytest.mark.django_db

PASSWORD = "long-Lobby-pass-1"


def sign_up(client, email: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


@pytest.mark.parametrize(
    "email",
    [
        "owner@ex\u0430mple.com",  # Cyrillic а in the domain
        "owner@\uff45xample.com",  # full-width ｅ: not NFKC
    ],
)
def test_a_look_alike_of_an_account_is_refused_at_sign_up(client, settings, user_factory, email):
    settings.ACCOUNT_ALLOW_SIGNUP = True
    user_factory(email="owner@example.com")
    r = sign_up(client, email)
    assert r.status_code == 200  # the form again, with the error
    assert "look-alike characters" in r.content.decode()
    assert User.objects.count() == 1


def test_plain_and_single_script_addresses_sign_up(client, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = True
    assert sign_up(client, "ada@example.com").status_code == 302
    assert User.objects.filter(email="ada@example.com").exists()


def test_the_check_itself():
    assert email_is_confusable("paypal@p\u0430ypal.com")
    assert not email_is_confusable("anna.maria@example.co.uk")
    assert email_is_confusable("\u043ewner@example.com")  # Cyrillic о in the local part
    assert not email_is_confusable("jos\u00e9@example.com")  # an accent is not a look-alike
