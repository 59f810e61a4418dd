"""Tallies and announcements: the coalesced recount-and-broadcast of a snapshot, and
the pushes of launches and pledges to followers."""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from .. import broadcast, selectors
from .. import redis as goodmob_redis
from ..models import Action, Pledge

log = logging.getLogger(__name__)


def request_snapshot(action_id: int) -> None:
    """Ask for a recount and broadcast, coalesced to one per action per window.

    Leading edge: the first change after a quiet spell goes out at once; changes inside
    the window ride on the one queued broadcast. The pending flag expires by itself, so
    a lost task delays the next snapshot by seconds, never forever.
    """
    from .. import tasks

    window = settings.GOODMOB["SNAPSHOT_COALESCE_SECONDS"]
    try:
        r = goodmob_redis.client()
        if not r.set(goodmob_redis.key("snap", "pending", action_id), 1, nx=True, px=5000):
            return
        last = float(r.get(goodmob_redis.key("snap", "last", action_id)) or 0)
        delay = max(0.0, last + window - time.time())
        tasks.publish_snapshot.apply_async((action_id,), countdown=delay)
    except (redis.RedisError, BrokerError):
        log.warning("snapshot for action %s not queued; the sweep will catch up", action_id)


def publish_snapshot(action_id: int) -> int | None:
    """Recount from rows and broadcast one snapshot with the next seq."""
    r = goodmob_redis.client()
    # Clear the flag before reading, so a change landing during the recount queues
    # another broadcast instead of being lost.
    r.set(goodmob_redis.key("snap", "last", action_id), time.time(), ex=60)
    r.delete(goodmob_redis.key("snap", "pending", action_id))
    with transaction.atomic():
        # NO KEY UPDATE: a plain FOR UPDATE would block every pledge and check-in insert
        # (their foreign keys take KEY SHARE on this row) for the whole recount.
        action = (
            Action.objects.select_for_update(of=("self",), no_key=True)
            .select_related("organizer__profile")
            .filter(pk=action_id)
            .first()
        )
        if action is None:
            return None
        action.seq += 1
        action.save(update_fields=["seq"])
        message = selectors.snapshot(action)
    broadcast.to_action(action_id, message)
    return action.seq


def announce_launch(action_id: int) -> int:
    action = Action.objects.select_related("organizer__profile").filter(pk=action_id).first()
    if action is None:
        return 0
    followers = selectors.follower_ids(action.organizer_id)
    broadcast.to_users(followers, selectors.launch_message(action))
    return len(followers)


def announce_pledge(pledge_id: int) -> int:
    made = Pledge.objects.select_related("action", "user__profile").filter(pk=pledge_id).first()
    if made is None:
        return 0
    followers = selectors.follower_ids(made.user_id)
    if followers:
        message = {"type": "pledge", "slug": made.action.slug, **selectors.person(made.user)}
        broadcast.to_users(followers, message)
    return len(followers)
