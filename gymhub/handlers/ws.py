"""WebSocket endpoints, tickets, hub stats and test notifications."""

from __future__ import annotations

import asyncio
import functools
import sqlite3

import msgspec
from aiohttp import WSMsgType, web

from gymhub.auth import policy
from gymhub.auth.tokens import Claims
from gymhub.data import notifications
from gymhub.errors import (
    ApiError,
    Forbidden,
    InsufficientStorage,
    InvalidRequest,
    NotFound,
    TooManyConnections,
    Unauthenticated,
    is_out_of_space,
)
from gymhub.handlers.common import ID, path_id
from gymhub.realtime.events import address
from gymhub.realtime.hub import Connection, Hub
from gymhub.schemas.common import decode, documented
from gymhub.schemas.notifications import (
    Ack,
    ClientFrame,
    Envelope,
    HubStats,
    Ping,
    TestNotification,
    TestNotificationResult,
    Ticket,
    Welcome,
)
from gymhub.schemas.query import IntParam, StrParam
from gymhub.web import identity
from gymhub.web.appkeys import config_key, db_key, hub_key
from gymhub.web.bodies import json_response, read_json
from gymhub.web.headers import secure

routes = web.RouteTableDef()

MAX_FRAME = 64 * 1024
SINCE = IntParam("since", "replay every stored notification with a larger id first", low=0)
TOKEN = StrParam("token", "access token or single-use ticket")
_encode = msgspec.json.Encoder().encode
PONG = _encode({"type": "pong"})


@routes.get("/api/ws/ws/" + ID % "user_id")
@documented(
    "WebSocket (seed path): ?token=JWT or ticket; 101, then welcome, replay and live envelopes",
    status=101,
    query=[TOKEN, SINCE],
)
async def seed_socket(request: web.Request) -> web.StreamResponse:
    user_id = path_id(request, "user_id")
    return await _socket(request, user_id)


@routes.get("/api/ws")
@documented(
    "WebSocket: session cookie, bearer header or ?token=; welcome, replay and live envelopes",
    status=101,
    query=[TOKEN, SINCE],
)
async def socket(request: web.Request) -> web.StreamResponse:
    return await _socket(request, None)


@routes.post("/api/ws/ticket")
@documented("A single-use WebSocket ticket for ?token=, valid 30 s", response=Ticket)
async def ticket(request: web.Request) -> web.Response:
    viewer_claims = await identity.claims_of(request)
    viewer = await request.app[db_key].read(lambda c: identity.viewer_from(c, viewer_claims))
    hub = request.app[hub_key]
    claims = Claims(viewer.id, viewer.role, viewer_claims.ver)
    return json_response(Ticket(ticket=hub.tickets.issue(claims), expires_in=hub.tickets.ttl))


@routes.get("/api/ws/ws/stats")
@documented("Open WebSockets and delivery counters (admin)", response=HubStats)
async def stats(request: web.Request) -> web.Response:
    policy.require_admin(await identity.current_viewer(request))
    return json_response(HubStats(**request.app[hub_key].stats()))


@routes.post("/api/ws/test-notification/" + ID % "user_id")
@documented(
    "Store and push a SYSTEM notification to a user (admin)",
    request=TestNotification,
    response=TestNotificationResult,
    status=202,
)
async def test_notification(request: web.Request) -> web.Response:
    policy.require_admin(await identity.current_viewer(request))
    user_id = path_id(request, "user_id")
    body = await read_json(request, TestNotification) if request.body_exists else None
    body = body or TestNotification()
    data = {"message": body.message} | ({"title": body.title} if body.title else {})

    def store(conn: sqlite3.Connection) -> list[notifications.Stored]:
        stored = address(conn, "SYSTEM", [user_id], lambda _: data)
        if not stored:
            raise NotFound("No such user.")
        return stored

    stored = await request.app[db_key].write(store)
    delivered = request.app[hub_key].publish(stored)
    item = stored[0]
    envelope = Envelope(
        id=item.id,
        type="SYSTEM",
        created_at=item.created_at,
        read=item.read,
        data=msgspec.Raw(_encode(item.data)),
    )
    return json_response(
        TestNotificationResult(notification=envelope, delivered_to=delivered), status=202
    )


async def _claims(request: web.Request, cookie: bool) -> Claims:
    """Claims from ?token= (a ticket or a JWT), else the bearer header (or cookie)."""
    token = TOKEN.read(request)
    if not cookie and not token and identity.bearer_token(request) is None:
        # The seed path is token-only, as its existing clients use it.
        raise Unauthenticated("A token is required (?token= or Authorization: Bearer).")
    if token and "." not in token:
        claims = request.app[hub_key].tickets.redeem(token)
        if claims is None:
            raise Unauthenticated("The ticket is invalid, used or expired.")
        return claims
    return await identity.claims_of(request, token or None)


class _Turn:
    """A place at the user's handshake gate, given back once: after the welcome, or on exit."""

    def __init__(self, gate: asyncio.Semaphore) -> None:
        self._gate = gate
        self._held = False

    async def __aenter__(self) -> _Turn:
        await self._gate.acquire()
        self._held = True
        return self

    def release(self) -> None:
        if self._held:
            self._held = False
            self._gate.release()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


async def _socket(request: web.Request, user_id: int | None) -> web.StreamResponse:
    # Every refusal happens here, before the upgrade, so it is a plain HTTP error.
    origin = request.headers.get("Origin")
    if origin is not None and not identity.origin_allowed(request, origin):
        raise Forbidden("WebSocket connections from this origin are not allowed.")
    since = SINCE.read(request)
    claims = await _claims(request, cookie=user_id is None)
    hub = request.app[hub_key]
    async with _Turn(hub.handshake_gate(claims.user_id)) as turn:
        return await _handshake(request, hub, claims, user_id, since, turn)


async def _handshake(
    request: web.Request,
    hub: Hub,
    claims: Claims,
    user_id: int | None,
    since: int | None,
    turn: _Turn,
) -> web.StreamResponse:
    viewer = await request.app[db_key].read(lambda c: identity.viewer_from(c, claims))
    if user_id is not None:
        policy.own_socket(viewer, user_id)
    config = request.app[config_key]
    # aiohttp refuses a message of max_msg_size bytes or more, and the contract closes only
    # frames over 64 KiB: one more byte keeps a frame of exactly 64 KiB acceptable.
    ws = web.WebSocketResponse(
        compress=False, heartbeat=config.ws_heartbeat or None, max_msg_size=MAX_FRAME + 1
    )
    if not ws.can_prepare(request).ok:
        raise InvalidRequest("This endpoint expects a WebSocket upgrade.")
    if not hub.admit(viewer.id):
        raise TooManyConnections(
            f"You already hold {config.ws_max_per_user} live connections (ws_max_per_user); "
            "close one and try again."
        )
    try:
        return await _serve(request, hub, ws, viewer.id, claims.ver, since, turn)
    finally:
        hub.release(viewer.id)


async def _serve(
    request: web.Request,
    hub: Hub,
    ws: web.WebSocketResponse,
    user_id: int,
    ver: int,
    since: int | None,
    turn: _Turn,
) -> web.StreamResponse:
    secure(ws)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:  # the peer left during the handshake
        return ws
    # Registered before the backlog is read: whatever commits from now on is queued too.
    conn = hub.register(user_id, ver, ws, transport)
    try:
        await _welcome_and_replay(request, hub, conn, since)
        turn.release()
        await _read_frames(request, conn)
    except (ConnectionError, RuntimeError):
        pass
    finally:
        hub.unregister(conn)
        if not ws.closed:
            await ws.close()
    return ws


async def _welcome_and_replay(
    request: web.Request, hub: Hub, conn: Connection, since: int | None
) -> None:
    limit = request.app[config_key].notification_max_per_user or 1000
    user_id = conn.user_id

    def load(c: sqlite3.Connection) -> tuple[Welcome, list[notifications.Logged]]:
        welcome = Welcome(
            user_id=user_id,
            unread=notifications.unread_count(c, user_id),
            last_id=notifications.last_id(c, user_id),
        )
        backlog = [] if since is None else notifications.newest_after(c, user_id, since, limit)
        return welcome, backlog

    welcome, backlog = await request.app[db_key].read(load)
    ws = conn.ws
    await ws.send_frame(_encode(welcome), WSMsgType.TEXT)
    floor = since or 0
    for row in backlog:
        if conn.closing:
            return
        await ws.send_frame(notifications.envelope_json(row), WSMsgType.TEXT)
        floor = row.id
    hub.count_sent(len(backlog))
    hub.start(conn, floor)


async def _read_frames(request: web.Request, conn: Connection) -> None:
    ws = conn.ws
    db = request.app[db_key]
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            try:
                frame: Ping | Ack = decode(msg.data.encode(), ClientFrame)  # type: ignore[arg-type]
            except ApiError as err:
                await _error_frame(ws, err.message)
                continue
            if isinstance(frame, Ping):
                await ws.send_frame(PONG, WSMsgType.TEXT)
            elif isinstance(frame, Ack):
                try:
                    await db.write(functools.partial(_ack, conn.user_id, frame.up_to))
                except sqlite3.OperationalError as exc:
                    # A full disk must not end the live feed: the ack can be sent again.
                    if not is_out_of_space(exc):
                        raise
                    await _error_frame(
                        ws, InsufficientStorage.default_message, InsufficientStorage.code
                    )
        elif msg.type is WSMsgType.BINARY:
            await _error_frame(ws, "Frames must be JSON text.")
        else:
            break


def _ack(user_id: int, up_to: int, conn: sqlite3.Connection) -> int:
    return notifications.mark_read(conn, user_id, up_to)


async def _error_frame(
    ws: web.WebSocketResponse, message: str, code: str = "invalid_request"
) -> None:
    frame = {"type": "error", "code": code, "message": message}
    await ws.send_frame(_encode(frame), WSMsgType.TEXT)
