"""The hub: one Redis subscription per group per web process, one pass to its sockets.

The stock path (channels_redis group_send) queues every broadcast once per consumer and
wakes each consumer's dispatch, which since Channels 4.2 also hops through a thread to
close old database connections: thousands of hops per snapshot. Here a web process
subscribes once per group it has sockets for, and hands each message, encoded once by
the publisher (publish.py), to every local socket in a single pass.

Delivery is at most once, like the channel layer: snapshots are whole state with a
`seq`, clients drop stale ones, and the beat sweep republishes live counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis
from django.conf import settings

from common import metrics
from common import redis as goodmob_redis

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = '{"type":"snapshot"'
MOVEMENT_PREFIX = '{"type":"movement"'
# A hidden action's state is the moderated notice: new sockets get it instead of counts.
STATE_PREFIXES = (SNAPSHOT_PREFIX, MOVEMENT_PREFIX, '{"type":"moderated"')
Send = Callable[[dict[str, Any]], Awaitable[None]]


def channel_for(group: str) -> str:
    return f"{settings.REDIS_PREFIX}:fan:{group}"


def writable(send: Send) -> bool:
    """False when the socket's write buffer is full (a stalled phone).

    uvicorn's protocol clears `writable` when the transport pauses writing; its send
    would then wait, holding up every socket after it in the pass. We skip that socket
    for this message instead: the next snapshot carries the whole state anyway. Other
    servers (and the test communicator) expose no such flag and are always sent to.
    """
    flag = getattr(getattr(send, "__self__", None), "writable", None)
    return flag is None or flag.is_set()


class Hub:
    """One per event loop: the sockets of this process, by group."""

    def __init__(self) -> None:
        self.members: dict[str, dict[int, Send]] = {}
        self.redis = goodmob_redis.async_client(socket_timeout=None, socket_connect_timeout=5)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.reader: asyncio.Task | None = None
        # Groups whose SUBSCRIBE Redis confirmed. A socket may join while Redis is down:
        # its group waits here for the reader to subscribe it once Redis is back (redis-py
        # itself re-subscribes only channels whose SUBSCRIBE had succeeded).
        self.subscribed: set[str] = set()
        # One SUBSCRIBE at a time: a crowd joining one group at once sent one each, and
        # redis-py answered the concurrent ones with MaxConnectionsError.
        self.subscribing = asyncio.Lock()
        # The newest snapshot per group, so a connect storm is served from memory.
        self.snapshots: dict[str, str] = {}
        self.loading: dict[object, asyncio.Future] = {}

    async def join(self, group: str, key: int, send: Send) -> None:
        self.members.setdefault(group, {})[key] = send
        if group not in self.subscribed:
            await self._subscribe([group])
        if self.reader is None or self.reader.done():
            self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _subscribe(self, groups: list[str]) -> bool:
        async with self.subscribing:
            # Re-read under the lock: the socket may have left, or another join subscribed.
            groups = [group for group in groups if group in self.members and group not in self.subscribed]
            if not groups:
                return True
            try:
                await self.pubsub.subscribe(*(channel_for(group) for group in groups))
            except (redis.RedisError, OSError):
                log.warning("subscribe to %d group(s) failed; the reader retries", len(groups))
                return False
            self.subscribed.update(groups)
            return True

    async def leave(self, group: str, key: int) -> None:
        members = self.members.get(group)
        if members is None:
            return
        members.pop(key, None)
        if members:
            return
        del self.members[group]
        self.snapshots.pop(group, None)  # unsubscribed: it would go stale
        async with self.subscribing:
            # A socket that joined meanwhile keeps the subscription (its join saw it held).
            if group in self.members or group not in self.subscribed:
                return
            self.subscribed.discard(group)
            try:
                await self.pubsub.unsubscribe(channel_for(group))
            except redis.RedisError:
                log.warning("unsubscribe from %s failed; it lapses with the connection", group)

    async def once(self, key: object, load: Callable[[], Awaitable[Any]]) -> Any:
        """Single flight: sockets connecting together for the same thing share one load
        (at "GO" a whole crowd connects at once; each would otherwise query alone)."""
        pending = self.loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self.loading[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self.loading[key]

    async def snapshot(self, group: str, load: Callable[[], Awaitable[str | None]]) -> str | None:
        """The newest snapshot of a group this process listens to, loaded at most once."""
        if group not in self.snapshots:
            text = await self.once(("snapshot", group), load)
            if text is None:
                return None
            if group in self.members:
                # setdefault: a broadcast that landed during the load is newer; keep it.
                self.snapshots.setdefault(group, text)
            return self.snapshots.get(group, text)
        return self.snapshots[group]

    async def deliver(self, group: str, text: str) -> None:
        if text.startswith(STATE_PREFIXES):
            self.snapshots[group] = text
        event = {"type": "websocket.send", "text": text}
        sent = 0
        # A copy: a socket may leave while we are part-way through the pass.
        for send in list(self.members.get(group, {}).values()):
            if not writable(send):
                continue
            try:
                await send(event)
            except Exception:  # a socket closing mid-pass must not stop the others
                continue
            sent += 1
        metrics.BROADCASTS.inc()
        metrics.FRAMES_SENT.inc(sent)

    async def _read(self) -> None:
        prefix = len(channel_for(""))
        backoff = 0.5
        while self.members:
            try:
                missing = [group for group in self.members if group not in self.subscribed]
                if missing and not await self._subscribe(missing):
                    raise redis.ConnectionError("subscribe failed")
                message = await self.pubsub.get_message(timeout=1.0) if self.subscribed else None
                backoff = 0.5
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                # Redis restarted or the link dropped: redis-py resubscribes on reconnect;
                # messages in between are lost and healed by the next snapshot, so the
                # cached ones may be stale: new sockets load afresh until one arrives.
                self.snapshots.clear()
                log.warning("fan-out link to Redis lost; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                # At most 2 s: a failover takes about that long, and one connect
                # attempt per process every 2 s costs Redis nothing.
                backoff = min(backoff * 2, 2)
                continue
            if message is None or message.get("type") != "message":
                continue
            group = message["channel"].decode()[prefix:]
            await self.deliver(group, message["data"].decode())


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        for stale in [old for old in _hubs if old.is_closed()]:
            del _hubs[stale]
        found = _hubs[loop] = Hub()
    return found
