"""Any JSON body to POST /host-invites: 201 exactly when both values are integers in range,
otherwise 400 with Parsec's body; never a 500, never an invite stored by a refused request."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from invites.models import HostInvite
from invites.selectors import normalize_code

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
edge_ints = st.sampled_from([599, 600, 601, 107999, 108000, 108001, 0, 1, 100, 101, -1, 2**63])


def valid(value, low, high):  # type: ignore[no-untyped-def]
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@pytest.mark.django_db
@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    expires_in=json_values | edge_ints | st.integers(500, 110_000),
    max_grants=json_values | edge_ints | st.integers(-5, 120),
)
def test_any_body_is_201_or_400(bearer_client, user, settings, expires_in, max_grants):
    settings.INVITES_RATE_CREATE = "100000/m"
    before = HostInvite.objects.count()
    r = bearer_client(user).post(
        "/host-invites", {"expires_in": expires_in, "max_grants": max_grants}, format="json"
    )
    if valid(expires_in, 600, 108000) and valid(max_grants, 1, 100):
        assert r.status_code == 201
        assert r.json()["data"]["max_grants"] == max_grants
        assert HostInvite.objects.count() == before + 1
    else:
        assert r.status_code == 400
        assert set(r.json()) == {"error"}
        assert HostInvite.objects.count() == before


@hsettings(max_examples=200)
@given(st.text(max_size=40))
def test_normalize_code_yields_a_well_formed_code_or_nothing(raw):
    code = normalize_code(raw)
    assert code == "" or (len(code) == 8 and code.isalnum() and code.isupper())
