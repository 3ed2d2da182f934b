"""Pages: create a room, the join page `share_url` points to, and the room itself."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render

from watchparty import selectors
from watchparty.exceptions import SessionNotFoundError


def _signed_in_name(request: HttpRequest) -> str:
    user = request.user
    return user.display_name if user.is_authenticated else ""


def index(request: HttpRequest) -> HttpResponse:
    get_token(request)
    return render(
        request,
        "watchparty/index.html",
        {
            "signed_in_name": _signed_in_name(request),
            "my_parties": selectors.parties_for_user(user=request.user),
        },
    )


def _party_or_404(
    request: HttpRequest, session_id: str
) -> tuple[object | None, HttpResponse | None]:
    try:
        return selectors.party_get_open(session_id=session_id), None
    except SessionNotFoundError as exc:
        response = render(request, "watchparty/missing.html", {"message": exc.message}, status=404)
        return None, response


def join_page(request: HttpRequest, session_id: str) -> HttpResponse:
    party, missing = _party_or_404(request, session_id)
    if missing is not None:
        return missing
    get_token(request)
    return render(
        request,
        "watchparty/join.html",
        {"party": party, "signed_in_name": _signed_in_name(request)},
    )


def room_page(request: HttpRequest, session_id: str) -> HttpResponse:
    party, missing = _party_or_404(request, session_id)
    if missing is not None:
        return missing
    get_token(request)
    return render(
        request,
        "watchparty/room.html",
        {
            "party": party,
            "config": {
                "session_id": str(party.id),
                "name": party.name,
                "ice_servers": settings.WATCHPARTY_ICE_SERVERS,
                "join_url": f"/watchparty/join/{party.id}",
                "grace_seconds": settings.WATCHPARTY_RECONNECT_GRACE,
            },
        },
    )
