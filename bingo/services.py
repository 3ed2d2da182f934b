"""Everything that changes bingo state. Each change appends to the game's audit chain and is
broadcast to the game's socket group only after the transaction commits."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import ApiSession, Role, User
from accounts.services import api_session_create, guest_user_create
from bingo import events, fairness, tsa
from bingo.exceptions import (
    AdminRequiredError,
    CardNotFoundError,
    DrawNotAllowedError,
    GameFinishedError,
    GameNotFoundError,
    IncorrectPinError,
    InvalidGameOrPinError,
    NotCreatorError,
    NotDrawnError,
    PinCheckUnavailableError,
    PinLockedError,
)
from bingo.models import AuditEntry, Card, Draw, Game, Player

logger = logging.getLogger(__name__)

PIN_MAX_FAILURES = 5
PIN_LOCK_SECONDS = 15 * 60


# --- Identity -------------------------------------------------------------------------------


def is_bingo_admin(user: User | None) -> bool:
    """A signed-in platform account (never a guest) that is a workspace admin or owner, or whose
    email is in BINGO_ADMIN_EMAILS."""
    if user is None or not user.is_authenticated or not user.is_active or user.is_guest:
        return False
    return user.has_role(Role.ADMIN) or user.email.lower() in settings.BINGO_ADMIN_EMAILS


GUEST_MARK = " (guest)"


def display_name(user: User) -> str:
    """What other players see: never a full email address, and a guest is marked as one, so a
    guest claiming `owner@…` cannot pass for the owner's account."""
    if not user.is_guest:
        return user.display_name
    player = Player.objects.filter(user_id=user.pk).first()
    name = player.email.split("@", 1)[0] if player else user.display_name
    return name + GUEST_MARK


@dataclass(frozen=True)
class SessionResult:
    session: ApiSession
    token: str
    role: str
    email: str


def _device_digest(device_key_hash: str) -> str:
    return hashlib.sha256(device_key_hash.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def session_create(
    *,
    email: str,
    device_key_hash: str,
    authenticated_user: User | None,
    ip: str | None = None,
    user_agent: str = "",
) -> SessionResult:
    """ProofPlay `POST /auth/session`.

    - Already signed in (cookie or Bearer) as the account with this email: a session for that
      account; role "admin" when the email is in BINGO_ADMIN_EMAILS.
    - Otherwise: a bingo-only guest identity for (email, device_key_hash) — the same guest as
      before when both match, else a new one. Naming an email never signs in as its account.
    """
    email = email.strip()
    if (
        authenticated_user is not None
        and authenticated_user.is_authenticated
        and authenticated_user.email.lower() == email.lower()
    ):
        user = authenticated_user
        role = "admin" if is_bingo_admin(user) else "player"
    else:
        digest = _device_digest(device_key_hash)
        player = Player.objects.select_related("user").filter(email=email, device_digest=digest)
        found = player.first()
        if found is None:
            guest = guest_user_create(name=email)
            found = Player.objects.create(user=guest, email=email, device_digest=digest)
        user = found.user
        role = "player"
    session, token = api_session_create(
        user=user, label=f"ProofPlay ({role})", ip=ip, user_agent=user_agent
    )
    return SessionResult(session=session, token=token, role=role, email=email)


# --- Audit chain ----------------------------------------------------------------------------


def _audit(game: Game, kind: str, data: dict, *, at: datetime | None = None) -> AuditEntry:
    """Append one entry. The caller holds the game's lock (inside its transaction)."""
    at = at or timezone.now()
    last = game.audit_entries.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, fairness.GENESIS_HASH)
    body = fairness.canonical_json(
        {"game_id": game.public_id, "seq": seq, "event": kind, "at": at.isoformat(), **data}
    )
    return AuditEntry.objects.create(
        game=game,
        seq=seq,
        kind=kind,
        body=body,
        prev_hash=prev,
        hash=fairness.chain_hash(prev, body),
        created_at=at,
    )


def _chain_head(game: Game) -> tuple[int, str]:
    """(entries in the game's audit chain, hash of the last): what a time stamp anchors."""
    last = game.audit_entries.order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, fairness.GENESIS_HASH)


def _locked_game(game_id: str) -> Game:
    game = Game.objects.select_for_update().filter(public_id=game_id).first()
    if game is None:
        raise GameNotFoundError()
    return game


# --- Games ----------------------------------------------------------------------------------


def _new_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def game_create(*, name: str, creator: User) -> Game:
    """A game with a CSPRNG id and PIN unique among live games, committed and time-stamped."""
    if not is_bingo_admin(creator):
        raise AdminRequiredError()
    secret = fairness.new_secret()
    stamp = tsa.stamp(bytes.fromhex(fairness.commitment(secret)))  # before any lock is held
    for _ in range(50):
        try:
            return _game_insert(name=name, creator=creator, secret=secret, stamp=stamp)
        except IntegrityError:  # id or live PIN taken: draw again
            continue
    raise RuntimeError("could not allocate a unique game id and PIN")


@transaction.atomic
def _game_insert(*, name: str, creator: User, secret: bytes, stamp: tsa.Stamp) -> Game:
    commitment = fairness.commitment(secret)
    now = timezone.now()
    game = Game.objects.create(
        public_id=secrets.token_hex(4),
        pin=_new_pin(),
        name=name,
        creator=creator,
        created_at=now,
        secret=secret.hex(),
        commitment=commitment,
        commitment_token=stamp.token,
        commitment_authority=stamp.authority,
    )
    _audit(
        game,
        AuditEntry.Kind.CREATE,
        {
            "name": name,
            "commitment": commitment,
            "commitment_token_sha256": fairness.sha256_hex(stamp.token),
            "authority": stamp.authority,
        },
        at=now,
    )
    logger.info("bingo game created game=%s", game.public_id)
    return game


@transaction.atomic
def game_end(*, game_id: str, by: User) -> Game:
    """The creator ends the game: S is revealed. Ending a finished game changes nothing."""
    game = _locked_game(game_id)
    if game.creator_id != by.pk:
        raise NotCreatorError("Only the game's creator can end it")
    if game.status != Game.Status.FINISHED:
        _finish(game, reason="ended by the caller")
    return game


def _finish(game: Game, *, reason: str, deadline: float | None = None) -> None:
    """Finish under the game's lock; the chain's head after the "end" entry is time-stamped
    (under the lock: nothing may follow the end before its anchor is stored)."""
    now = timezone.now()
    game.status = Game.Status.FINISHED
    game.finished_at = now
    end = _audit(game, AuditEntry.Kind.END, {"reason": reason, "secret": game.secret}, at=now)
    record = fairness.end_record(game.public_id, end.seq, end.hash)
    stamp = tsa.stamp(fairness.record_digest(record), deadline=deadline)
    game.final_chain_count, game.final_chain_head = end.seq, end.hash
    game.final_token, game.final_authority = stamp.token, stamp.authority
    game.save(
        update_fields=[
            "status",
            "finished_at",
            "final_chain_count",
            "final_chain_head",
            "final_token",
            "final_authority",
        ]
    )
    gid = game.public_id
    transaction.on_commit(lambda: events.game_ended(gid, reason))


# --- PIN lockout (cache: shared by every process, survives restarts of the web process) -----
# The strict cache raises while it is down; then no PIN is checked at all (fail closed), since
# uncounted guesses would make the lockout worthless during an outage.
#
# Atomic across processes: before a PIN is compared, the attempt takes one of PIN_MAX_FAILURES
# slots per key with `cache.add` (Redis SET NX, locmem's lock, the database cache's primary
# key), so of any number of parallel guesses at most PIN_MAX_FAILURES are ever compared. A wrong
# PIN keeps its slot ("failed", 15 min); a right one gives it back. The failure that finds every
# slot failed sets the lock (`:until`) and then frees the slots, and every attempt reads the
# lock only after taking its slot, so none slips in between.
_CACHE_DOWN = (RedisError, DatabaseError, OSError)
_PENDING, _FAILED = "pending", "failed"


def _lockout_cache():  # type: ignore[no-untyped-def]
    return caches["strict"]


def _lock_keys(game_id: str, who: str, ip: str) -> list[str]:
    def key(kind: str, value: str) -> str:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"bingo:pin:{game_id}:{kind}:{digest}"

    return [key("session", who), key("ip", ip or "unknown")]


def _slots(key: str) -> list[str]:
    return [f"{key}:slot:{i}" for i in range(PIN_MAX_FAILURES)]


def _locked(cache, key: str, now: float) -> PinLockedError:  # type: ignore[no-untyped-def]
    until = cache.get(f"{key}:until")
    # Every slot taken but no lock yet: the last attempts are still being checked.
    return PinLockedError(until - now if until is not None and until > now else PIN_LOCK_SECONDS)


def _attempt_begin(keys: list[str]) -> list[str]:
    """Take one attempt slot per key; PinLockedError if any key is locked or has none free."""
    cache = _lockout_cache()
    now = time.time()
    taken: list[str] = []
    try:
        for key in keys:
            slots = _slots(key)
            held = cache.get_many(slots)
            slot = next(
                (s for s in slots if s not in held and cache.add(s, _PENDING, PIN_LOCK_SECONDS)),
                None,
            )
            if slot is None:
                raise _locked(cache, key, now)
            taken.append(slot)
        for key in keys:  # after taking the slots: a lock set meanwhile is seen here
            until = cache.get(f"{key}:until")
            if until is not None and until > now:
                raise PinLockedError(until - now)
    except PinLockedError:
        cache.delete_many(taken)
        raise
    return taken


def _attempt_failed(keys: list[str], taken: list[str]) -> None:
    cache = _lockout_cache()
    now = time.time()
    cache.set_many(dict.fromkeys(taken, _FAILED), PIN_LOCK_SECONDS)
    for key in keys:
        slots = _slots(key)
        held = cache.get_many(slots)
        if len(held) == PIN_MAX_FAILURES and all(v == _FAILED for v in held.values()):
            cache.set(f"{key}:until", now + PIN_LOCK_SECONDS, timeout=PIN_LOCK_SECONDS)
            cache.delete_many(slots)


def _attempt_succeeded(keys: list[str], taken: list[str]) -> None:
    """Give the slots back; a session that knows the PIN also has its failures forgotten."""
    cache = _lockout_cache()
    cache.delete_many([*taken, *_slots(keys[0])])


# --- Cards ----------------------------------------------------------------------------------


def card_join(
    *,
    game_id: str,
    user: User,
    pin: str | None,
    who: str,
    ip: str,
    client_seed: str = "",
) -> tuple[Card, bool]:
    """Join with the PIN (or pin=None when an invite admits the user). Returns (card, created).

    The PIN check runs outside any transaction so a failure's count is kept although the
    request fails. 5 failures per (game, session) or per (game, IP) lock for 15 minutes.
    """
    game = Game.objects.filter(public_id=game_id).only("pk", "pin", "status").first()
    if game is None:
        raise InvalidGameOrPinError()
    if pin is not None:
        keys = _lock_keys(game_id, who, ip)
        try:
            taken = _attempt_begin(keys)
            if not hmac.compare_digest(pin.encode("utf-8", "surrogatepass"), game.pin.encode()):
                _attempt_failed(keys, taken)
                raise IncorrectPinError()
            _attempt_succeeded(keys, taken)
        except _CACHE_DOWN as exc:
            logger.warning("PIN lockout cache unavailable, refusing PIN checks: %s", exc)
            raise PinCheckUnavailableError() from exc
    return _card_insert(game_id=game_id, user=user, client_seed=client_seed)


@transaction.atomic
def _card_insert(*, game_id: str, user: User, client_seed: str) -> tuple[Card, bool]:
    game = _locked_game(game_id)
    existing = Card.objects.filter(game=game, user=user).first()
    if existing is not None:
        return existing, False
    if game.status == Game.Status.FINISHED:
        raise GameFinishedError()
    join_index = game.cards.count() + 1
    now = timezone.now()
    name = display_name(user)
    for _ in range(20):
        numbers = fairness.new_card()
        try:
            with transaction.atomic():
                card = Card.objects.create(
                    game=game,
                    user=user,
                    numbers=numbers,
                    layout_key=fairness.card_key(numbers),
                    marked=fairness.initial_marks(),
                    client_seed=client_seed,
                    join_index=join_index,
                    display_name=name[:254],
                    created_at=now,
                )
            break
        except IntegrityError:
            if Card.objects.filter(game=game, user=user).exists():  # pragma: no cover - race
                raise
            continue
    else:  # pragma: no cover - 20 collisions among ~10^26 layouts
        raise RuntimeError("could not deal a unique card")
    _audit(
        game,
        AuditEntry.Kind.JOIN,
        {
            "card_id": card.card_id,
            "join_index": join_index,
            "client_seed": client_seed,
            "card_sha256": card.layout_key,
        },
        at=now,
    )
    count = game.cards.count()
    gid = game.public_id
    transaction.on_commit(lambda: events.players_changed(gid, count))
    return card, True


def card_for(*, game_id: str, user: User) -> Card:
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise GameNotFoundError()
    card = Card.objects.filter(game=game, user=user).first()
    if card is None:
        raise CardNotFoundError("Card not found: join the game first")
    return card


@transaction.atomic
def card_mark(*, game_id: str, user: User, row: int, col: int) -> tuple[Card, bool]:
    """Mark a drawn number's square; idempotent. Returns (card, bingo).

    The first bingo of the game, whenever it is marked, is recorded as the winner.
    """
    game = _locked_game(game_id)
    card = Card.objects.filter(game=game, user=user).first()
    if card is None:
        raise CardNotFoundError("Card not found: join the game first")
    number = card.numbers[row][col]
    if card.marked[row][col]:
        return card, fairness.has_bingo(card.marked)
    # A finished game still takes marks of drawn numbers (the 75th draw ends the game at once).
    if not game.draws.filter(number=number).exists():
        raise NotDrawnError(number)
    now = timezone.now()
    marked = [list(r) for r in card.marked]
    marked[row][col] = True
    card.marked = marked
    bingo = fairness.has_bingo(marked)
    fields = ["marked"]
    _audit(
        game,
        AuditEntry.Kind.MARK,
        {"card_id": card.card_id, "row": row, "col": col, "number": number},
        at=now,
    )
    won = False
    if bingo and card.bingo_at is None:
        card.bingo_at = now
        fields.append("bingo_at")
        won = (
            Game.objects.filter(pk=game.pk, winner__isnull=True).update(winner=card, won_at=now)
            == 1
        )
        _audit(
            game,
            AuditEntry.Kind.BINGO,
            {"card_id": card.card_id, "winner": won, "draws": game.draws.count()},
            at=now,
        )
    card.save(update_fields=fields)
    gid, uid = game.public_id, user.pk
    card_payload = {"card_id": card.card_id, "marked": marked, "bingo": bingo}
    transaction.on_commit(lambda: events.card_changed(gid, uid, card_payload))
    if won:
        win = {"card_id": card.card_id, "player": card.display_name, "won_at": now.isoformat()}
        transaction.on_commit(lambda: events.bingo(gid, win))
    return card, bingo


# --- Draws ----------------------------------------------------------------------------------


OPTIMISTIC_DRAW_ATTEMPTS = 3


def _draw_state(game: Game) -> tuple[list[int], str]:
    """(numbers drawn so far in order, entropy hex the next draw uses)."""
    drawn = list(game.draws.order_by("sequence").values_list("number", flat=True))
    if drawn:
        return drawn, game.entropy
    seeds = game.cards.order_by("join_index").values_list("client_seed", flat=True)
    return drawn, fairness.entropy(seeds).hex()


def _check_drawable(game: Game | None, by: User, drawn: list[int] | None = None) -> Game:
    if game is None:
        raise GameNotFoundError()
    if game.creator_id != by.pk or game.status == Game.Status.FINISHED:
        raise DrawNotAllowedError()
    if drawn is not None and len(drawn) >= 75:
        raise DrawNotAllowedError()
    return game


def draw_next(*, game_id: str, by: User) -> Draw:
    """The creator draws the next number: derived from S, time-stamped, stored, then returned.

    The time stamp (maybe a remote authority) is taken before the game's lock: the seed of
    draw k is fixed by S, the entropy and k, so the stored draw is still right if nobody drew
    meanwhile; if somebody did, plan again. The last attempt stamps under the lock. Every
    stamp of one draw shares one deadline (tsa.EXTERNAL_DEADLINE from the start): past it, the
    local authority signs at once, so no draw waits on remote authorities for longer.
    """
    deadline = tsa.deadline_after()
    for _ in range(OPTIMISTIC_DRAW_ATTEMPTS):
        game = _check_drawable(Game.objects.filter(public_id=game_id).first(), by)
        drawn, entropy = _draw_state(game)
        _check_drawable(game, by, drawn)
        head = _chain_head(game)
        result = fairness.draw(bytes.fromhex(game.secret), bytes.fromhex(entropy), drawn)
        stamp = tsa.stamp(_draw_digest(game, result, head), deadline=deadline)
        draw = _draw_store(
            game_id=game_id,
            by=by,
            planned=(drawn, entropy),
            head=head,
            stamp=stamp,
            deadline=deadline,
        )
        if draw is not None:
            return draw
    draw = _draw_store(
        game_id=game_id, by=by, planned=None, head=None, stamp=None, deadline=deadline
    )
    assert draw is not None  # noqa: S101 - without a plan there is nothing to be stale
    return draw


def _draw_digest(game: Game, result: dict, head: tuple[int, str]) -> bytes:
    """What the draw's token stamps: its seed hash and the audit chain's head at the time."""
    record = fairness.draw_record(game.public_id, result["sequence"], result["seed_hash"], *head)
    return fairness.record_digest(record)


@transaction.atomic
def _draw_store(
    *,
    game_id: str,
    by: User,
    planned: tuple[list[int], str] | None,
    head: tuple[int, str] | None,
    stamp: tsa.Stamp | None,
    deadline: float,
) -> Draw | None:
    """Store the next draw under the game's lock; None if `planned` is no longer the state.

    `head`, the chain's head when `stamp` was taken, may be older than the chain's head now
    (marks came meanwhile): an anchor says "the chain had at least these entries".
    """
    game = _check_drawable(Game.objects.select_for_update().filter(public_id=game_id).first(), by)
    drawn, entropy = _draw_state(game)
    _check_drawable(game, by, drawn)
    if planned is not None and planned != (drawn, entropy):
        return None
    result = fairness.draw(bytes.fromhex(game.secret), bytes.fromhex(entropy), drawn)
    if stamp is None or head is None:
        head = _chain_head(game)
        stamp = tsa.stamp(_draw_digest(game, result, head), deadline=deadline)
    now = timezone.now()
    if not drawn:
        game.entropy = entropy
        game.status = Game.Status.ACTIVE
        game.started_at = now
        game.save(update_fields=["entropy", "status", "started_at"])
    anchor = fairness.anchor_id(stamp.authority, stamp.gen_time, result["seed_hash"])
    draw = Draw.objects.create(
        game=game,
        sequence=result["sequence"],
        number=result["number"],
        seed=result["seed"],
        seed_hash=result["seed_hash"],
        anchor_id=anchor,
        authority=stamp.authority,
        token=stamp.token,
        drawn_at=now,
        chain_count=head[0],
        chain_head=head[1],
    )
    _audit(
        game,
        AuditEntry.Kind.DRAW,
        {
            "sequence": draw.sequence,
            "number": draw.number,
            "seed_hash": draw.seed_hash,
            "anchor_id": anchor,
            "token_sha256": fairness.sha256_hex(stamp.token),
            "chain_count": head[0],
            "chain_head": head[1],
            **({"entropy": game.entropy} if draw.sequence == 1 else {}),
        },
        at=now,
    )
    logger.info("bingo draw %s game=%s", draw.sequence, game.public_id)
    gid = game.public_id
    payload = events.draw_payload(draw)
    transaction.on_commit(lambda: events.drawn(gid, payload))
    if draw.sequence == 75:
        _finish(game, reason="all 75 numbers drawn", deadline=deadline)
    return draw


# --- Invites --------------------------------------------------------------------------------


def invite_describe(target_id: str) -> str | None:
    game = Game.objects.filter(public_id=target_id).exclude(status=Game.Status.FINISHED).first()
    return f"Bingo game {game.name} ({game.public_id})" if game else None


def invite_admit(user: User, target_id: str) -> str:
    card_join(game_id=target_id, user=user, pin=None, who=f"u{user.pk}", ip="")
    return f"/bingo/play/{target_id}"
