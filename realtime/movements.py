"""Movement tallies on the wire: a recount of every local action, coalesced to at most one
per movement per window, to `/ws/movements/<id>/`. Any change to a local action's counts
or phase already asks for its own snapshot; publishing that snapshot asks for the
movement's, so the movement rides on the same coalescing and the same healing sweep."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from actions.services import next_movement_snapshot
from common import coalesce
from common.tasks import IDEMPOTENT

from . import publish


def group(movement_id: int) -> str:
    return f"movement.{movement_id}"


def request_movement(movement_id: int) -> None:
    coalesce.request("movement", movement_id, publish_movement, settings.GOODMOB["MOVEMENT_COALESCE_SECONDS"])


@shared_task(**IDEMPOTENT)
def publish_movement(movement_id: int) -> int | None:
    """Recount the movement from rows and broadcast it with the next seq."""
    coalesce.begin("movement", movement_id)
    frame = next_movement_snapshot(movement_id)
    if frame is None:
        return None
    publish.to_groups([group(movement_id)], frame)
    return int(frame["seq"])
