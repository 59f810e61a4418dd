"""Snapshots on the wire: a recount and broadcast per action, coalesced to at most one
per action per window, and a sweep that republishes live counts (Redis may drop one)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from actions import selectors
from actions.services import next_snapshot
from common import coalesce
from common.tasks import IDEMPOTENT

from . import publish
from .movements import request_movement


def snapshot_ask(action_id: int) -> coalesce.Ask:
    return coalesce.Ask("snap", action_id, publish_snapshot, settings.GOODMOB["SNAPSHOT_COALESCE_SECONDS"])


def request_snapshot(action_id: int) -> None:
    """A recount and broadcast, coalesced to one per action per window (coalesce.py)."""
    coalesce.request_all(snapshot_ask(action_id))


@shared_task(**IDEMPOTENT)
def publish_snapshot(action_id: int) -> int | None:
    """Recount from rows and broadcast one snapshot with the next seq."""
    with coalesce.resting("snap", action_id):
        frame = next_snapshot(action_id)
        if frame is None:
            return None
        publish.to_action(action_id, frame)
    if frame["movement"] is not None:
        request_movement(frame["movement"]["id"])
    return int(frame["seq"])


@shared_task(**IDEMPOTENT, expires=10)
def republish_live() -> int:
    """Exact counts of live actions, republished: heals a dropped broadcast."""
    live = list(selectors.recently_live(timezone.now()).values_list("pk", flat=True))
    for action_id in live:
        request_snapshot(action_id)
    return len(live)
