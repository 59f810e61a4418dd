"""Websocket consumers: read-only listeners plus ping/pong for clock offsets. The frames
they send are defined in actions/protocol.py and documented in docs/protocol.md."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from actions import cascade, movements, protocol, selectors
from actions.models import Action
from common import inputs, metrics
from common.errors import UNAUTHORIZED, ServiceError

from . import cascades, publish
from . import movements as movement_frames
from .hub import SNAPSHOT_PREFIX, hub

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
FLOOD_WINDOW_S = 10.0


_action_ids: dict[str, int] = {}


@database_sync_to_async
def _lookup_action_id(slug: str) -> int | None:
    action = selectors.get_action(slug)
    return action.pk if action else None


async def _action_id(slug: str) -> int | None:
    # A slug never changes hands, so the mapping is safe to keep per process.
    if slug not in _action_ids:
        found = await hub().once(("slug", slug), lambda: _lookup_action_id(slug))
        if found is None:
            return None
        _action_ids[slug] = found
    return _action_ids[slug]


@database_sync_to_async
def _snapshot_text(action_id: int) -> str | None:
    action = Action.objects.select_related("organizer__profile").filter(pk=action_id).first()
    if action is None:
        return None
    if action.is_hidden:
        return protocol.encode(selectors.moderated_message(action, ""))
    return protocol.encode(selectors.snapshot(action))


RAW_SEND = "goodmob.raw_send"


class RawSendMiddleware:
    """Outermost: keeps the server's own `send` in the scope, so broadcasts skip the
    per-message wrappers (session saving, ...) that a read-only push never needs."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        # The server's own scope, added to rather than copied, and the inner coroutine
        # returned rather than awaited here: a copy and a frame held for every open
        # socket's whole life otherwise (bench/socket_profile.py).
        scope[RAW_SEND] = send
        return self.inner(scope, receive, send)


class LiveConsumer(AsyncWebsocketConsumer):
    """Shared protocol: `ping` gets `pong`; anything else gets an `error` frame.

    No channel layer per consumer (no per-socket channel, queue and receive task):
    group messages arrive through the process's fan-out hub.
    """

    channel_layer_alias = "goodmob-none"
    hub_groups: tuple[str, ...] = ()  # not `groups`: Channels owns that name
    route = "none"  # the metrics' label
    closing = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Channels' AsyncConsumer.__call__ for a consumer with no channel layer (the hub
        fans out): each event is awaited in this task, instead of through
        await_many_dispatch's extra task and asyncio.wait (about 1 KB an idle socket,
        and their allocations again for every frame)."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, less its `aclose_old_connections()`: a thread hop per event
        (connect, each frame, disconnect), a quarter of a connect storm's CPU under
        py-spy. Nothing here holds a database connection across events: every query
        runs in `database_sync_to_async`, which closes old connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # Channels' own, less its group_discard loop (no channel-layer groups here) and
        # the same thread hop as above, paid by every socket of a crowd that leaves.
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return  # frames still in flight after our close: nothing may be sent any more
        if self._flooding():
            await self._error("rate_limited", "Too many messages; the connection is closed.")
            await self.close(code=CLOSE_POLICY)
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.GOODMOB["WS_MAX_FRAME_BYTES"]:
            await self._error("too_large", "Frames are at most 4096 bytes; the connection is closed.")
            await self.close(code=CLOSE_TOO_BIG)
            return
        if text_data is None:
            await self._error("binary_not_supported", "Send JSON text frames, not binary.")
            return
        try:
            message = inputs.loads(text_data)
        except ServiceError as exc:
            await self._error("bad_json" if exc.code == "invalid_json" else exc.code, exc.detail)
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._error("bad_message", 'Send a JSON object with a "type".')
            return
        if message["type"] == "ping":
            client_time = message.get("client_time")
            if client_time is not None and not isinstance(client_time, int | float | str):
                client_time = None
            await self._send_json(
                {"type": "pong", "client_time": client_time, "server_now": selectors.iso(timezone.now())}
            )
            return
        await self._error("unknown_type", "This socket only listens; the one message it takes is ping.")

    def _flooding(self) -> bool:
        now = time.monotonic()
        start, count = getattr(self, "_window", (now, 0))
        if now - start > FLOOD_WINDOW_S:
            start, count = now, 0
        self._window = (start, count + 1)
        return count + 1 > settings.GOODMOB["WS_MAX_FRAMES_PER_10S"]

    async def _send_json(self, message: dict[str, Any]) -> None:
        await self.send(text_data=protocol.encode(message))

    async def _error(self, code: str, detail: str) -> None:
        await self._send_json(protocol.error(code, detail))

    async def join(self, *groups: str) -> None:
        if not self.hub_groups and groups:
            metrics.SOCKETS_OPEN.labels(self.route).inc()
        self.hub_groups += groups
        for group in groups:
            await hub().join(group, id(self), self.scope.get(RAW_SEND) or self.base_send)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await self._leave()  # no broadcast may reach a closed socket
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        groups, self.hub_groups = self.hub_groups, ()
        if groups:
            metrics.SOCKETS_OPEN.labels(self.route).dec()
        for group in groups:
            await hub().leave(group, id(self))


class NotFoundConsumer(LiveConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self._error("not_found", "No socket lives at that address.")
        await self.close(code=CLOSE_NOT_FOUND)


@database_sync_to_async
def _cascade_texts(action_id: int) -> list[str]:
    """The frames that draw the cascade now: Redis' whole graph and the changes since, or
    the graph read from the rows when Redis has none."""
    texts = cascades.last_texts(action_id)
    if texts is not None:
        return texts
    action = Action.objects.filter(pk=action_id).first()
    if action is None or action.is_hidden:
        return []
    return [protocol.encode(cascade.current_frame(action))]


class ActionConsumer(LiveConsumer):
    """`/ws/actions/<slug>/`: anyone may listen. With `?cascade=1` (the screens that draw
    it) the socket also gets the whole cascade at once and then its changes."""

    route = "action"

    async def connect(self) -> None:
        await self.accept()
        action_id = await _action_id(self.scope["url_route"]["kwargs"]["slug"])
        if action_id is None:
            await self._error("not_found", "No action has that address.")
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # Join first, read second: a change landing in between arrives as a later
        # snapshot instead of falling into a gap.
        group = publish.action_group(action_id)
        wants_cascade = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("cascade") == ["1"]
        await self.join(group, *([cascades.group(action_id)] if wants_cascade else []))
        text = await hub().snapshot(group, lambda: _snapshot_text(action_id))
        if text is not None:
            await self.send(text_data=text)
        if wants_cascade and text is not None and text.startswith(SNAPSHOT_PREFIX):
            for graph in await hub().once(("cascade", action_id), lambda: _cascade_texts(action_id)):
                await self.send(text_data=graph)


@database_sync_to_async
def _movement_text(movement_id: int) -> str | None:
    movement = movements.get_movement(movement_id)
    return None if movement is None else protocol.encode(movements.snapshot(movement))


class MovementConsumer(LiveConsumer):
    """`/ws/movements/<id>/`: anyone may listen; the movement's snapshot now, then each new one."""

    route = "movement"

    async def connect(self) -> None:
        await self.accept()
        movement_id = self.scope["url_route"]["kwargs"]["movement_id"]
        group = movement_frames.group(movement_id)
        await self.join(group)  # join first, read second (as ActionConsumer)
        text = await hub().snapshot(group, lambda: _movement_text(movement_id))
        if text is None:
            await self._error("not_found", "No movement has that address.")
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.send(text_data=text)


class MeConsumer(LiveConsumer):
    """`/ws/me/`: the signed-in user's own feed and verdicts."""

    route = "me"

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._error(UNAUTHORIZED.code, UNAUTHORIZED.detail)
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        await self.join(publish.user_group(user.pk))
        await self._send_json({"type": "hello", "server_now": selectors.iso(timezone.now())})
