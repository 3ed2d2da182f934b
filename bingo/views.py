"""Pages: the lobby (join / create), a player's card, the caller's desk, printable cards, verify."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from bingo import selectors, services
from bingo.api.views import check_rate
from bingo.models import Card, Game
from config.errors import DomainError
from config.net import client_ip


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_admin = services.is_bingo_admin(user)
    # `/bingo/?game=<id>` (the join link and its QR code) fills in the game id; the PIN is asked.
    game_hint = request.GET.get("game", "").strip().lower()[:8]
    form = {"game_id": game_hint, "pin": "", "client_seed": ""}
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect("/accounts/login/?next=/bingo/")
        action = request.POST.get("action")
        try:
            check_rate(request)
            if action == "create":
                name = request.POST.get("name", "").strip()[:100]
                if not name:
                    raise DomainError("Give the game a name")
                game = services.game_create(name=name, creator=user)
                return redirect("bingo:call", game_id=game.public_id)
            form = {k: request.POST.get(k, "").strip() for k in form}
            if len(form["client_seed"]) > 128:
                raise DomainError("Your seed can be at most 128 characters")
            request.session.save()  # a session key to count PIN failures against
            services.card_join(
                game_id=form["game_id"].lower(),
                user=user,
                pin=form["pin"],
                who=f"cookie:{request.session.session_key}",
                ip=client_ip(request),
                client_seed=form["client_seed"],
            )
            return redirect("bingo:play", game_id=form["game_id"].lower())
        except DomainError as exc:
            messages.error(request, exc.message)
    context = {"is_admin": is_admin, "form": form, "my_games": [], "my_cards": []}
    if user.is_authenticated:
        context["my_games"] = Game.objects.filter(creator=user)[:20]
        context["my_cards"] = (
            Card.objects.filter(user=user).select_related("game").order_by("-created_at")[:20]
        )
    return render(request, "bingo/home.html", context)


def play(request: HttpRequest, game_id: str) -> HttpResponse:
    """A signed-in player's card, or a browser guest's (their card comes over the socket)."""
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise Http404
    state = selectors.game_state(game)
    # `board` lets play.html include bingo/_board.html (the 75-board players see too)
    context = {"game": game, "state": state, "board": board_rows(state), "guest": False}
    if not request.user.is_authenticated:
        return render(request, "bingo/play.html", context | {"guest": True})
    card = Card.objects.filter(game=game, user=request.user).first()
    if card is None:
        messages.error(request, "Join this game with its PIN first.")
        return redirect(f"/bingo/?game={game_id}")
    return render(
        request, "bingo/play.html", context | {"card": card, "card_data": selectors.card_out(card)}
    )


def join_link(request: HttpRequest, game: Game) -> str:
    """The absolute link players open to join: the game id only, never the PIN."""
    return request.build_absolute_uri(f"{reverse('bingo:home')}?game={game.public_id}")


def join_qr_svg(link: str) -> str:
    """The link as a QR code, inline SVG markup (segno; no XML declaration, scalable)."""
    return segno.make(link, error="m").svg_inline(scale=6, border=2, omitsize=True)


def board_rows(state: dict) -> list[tuple[str, list[tuple[int, bool]]]]:
    """The 75-board for `bingo/_board.html`: B I N G O rows of (number, called)."""
    called = {d["number"] for d in state["draws"]}
    return [
        (letter, [(n, n in called) for n in range(row * 15 + 1, row * 15 + 16)])
        for row, letter in enumerate("BINGO")
    ]


def _players(game: Game) -> list[str]:
    return list(game.cards.order_by("join_index").values_list("display_name", flat=True))


def _board_context(request: HttpRequest, game: Game) -> dict:
    state = selectors.game_state(game)
    link = join_link(request, game)
    return {
        "game": game,
        "state": state,
        "board": board_rows(state),
        "last_number": state["draws"][-1]["number"] if state["draws"] else None,
        "join_link": link,
        "join_qr": join_qr_svg(link),
    }


@login_required
def call(request: HttpRequest, game_id: str) -> HttpResponse:
    game = Game.objects.filter(public_id=game_id, creator=request.user).first()
    if game is None:
        raise Http404
    context = _board_context(request, game) | {"players": _players(game)}
    return render(request, "bingo/call.html", context)


@login_required
def call_players(request: HttpRequest, game_id: str) -> JsonResponse:
    """Who joined, for the caller's desk: the creator only (the same rule as the desk)."""
    game = Game.objects.filter(public_id=game_id, creator=request.user).first()
    if game is None:
        raise Http404
    return JsonResponse({"players": [{"name": name} for name in _players(game)]})


def screen(request: HttpRequest, game_id: str) -> HttpResponse:
    """The big-screen call display: public, like the draws on the socket and the verify page.

    It shows only what every player already sees (the draws, the join link) — no PIN, no cards.
    """
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise Http404
    return render(request, "bingo/screen.html", _board_context(request, game))


@login_required
def print_cards(request: HttpRequest, game_id: str) -> HttpResponse:
    """The creator prints every card of the game; a player prints their own."""
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise Http404
    cards = game.cards.order_by("join_index")
    if game.creator_id != request.user.pk:
        cards = cards.filter(user=request.user)
    return render(request, "bingo/print.html", {"game": game, "cards": list(cards)})


def verify_page(request: HttpRequest, game_id: str) -> HttpResponse:
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise Http404
    return render(request, "bingo/verify.html", {"game": game})
