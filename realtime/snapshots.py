"""Snapshots on the wire: a recount and broadcast per action, coalesced to at most one
per action per window, and a sweep that republishes live counts (Redis may drop one)."""

from __future__ import annotations

import logging
import time

import redis
from celery import shared_task
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from actions import selectors
from actions.services import next_snapshot
from common import redis as goodmob_redis
from common.tasks import IDEMPOTENT

from . import publish

log = logging.getLogger(__name__)


def request_snapshot(action_id: int) -> None:
    """Ask for a recount and broadcast, coalesced to one per action per window.

    Leading edge: the first change after a quiet spell goes out at once; changes inside
    the window ride on the one queued broadcast. The pending flag expires by itself, so
    a lost task delays the next snapshot by seconds, never forever.
    """
    window = settings.GOODMOB["SNAPSHOT_COALESCE_SECONDS"]
    try:
        r = goodmob_redis.client()
        if not r.set(goodmob_redis.key("snap", "pending", action_id), 1, nx=True, px=5000):
            return
        last = float(r.get(goodmob_redis.key("snap", "last", action_id)) or 0)
        delay = max(0.0, last + window - time.time())
        publish_snapshot.apply_async((action_id,), countdown=delay)
    except (redis.RedisError, BrokerError):
        log.warning("snapshot for action %s not queued; the sweep will catch up", action_id)


@shared_task(**IDEMPOTENT)
def publish_snapshot(action_id: int) -> int | None:
    """Recount from rows and broadcast one snapshot with the next seq."""
    r = goodmob_redis.client()
    # Clear the flag before reading, so a change landing during the recount queues
    # another broadcast instead of being lost.
    r.set(goodmob_redis.key("snap", "last", action_id), time.time(), ex=60)
    r.delete(goodmob_redis.key("snap", "pending", action_id))
    frame = next_snapshot(action_id)
    if frame is None:
        return None
    publish.to_action(action_id, frame)
    return int(frame["seq"])


@shared_task(**IDEMPOTENT, expires=10)
def republish_live() -> int:
    """Exact counts of live actions, republished: heals a dropped broadcast."""
    live = list(selectors.recently_live(timezone.now()).values_list("pk", flat=True))
    for action_id in live:
        request_snapshot(action_id)
    return len(live)
