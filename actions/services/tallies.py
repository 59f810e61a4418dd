"""Tallies: counts are recounted from rows; a snapshot is the whole state with its `seq`."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from .. import movements, selectors
from ..models import Action, Movement


def next_snapshot(action_id: int) -> dict[str, Any] | None:
    """Recount from rows and return the snapshot with the next seq (None: no such action)."""
    with transaction.atomic():
        # NO KEY UPDATE: a plain FOR UPDATE would block every pledge and check-in insert
        # (their foreign keys take KEY SHARE on this row) for the whole recount.
        action = (
            Action.objects.select_for_update(of=("self",), no_key=True)
            .select_related("organizer__profile")
            .filter(pk=action_id)
            .first()
        )
        if action is None or action.is_hidden:
            return None  # a hidden action's screens show the moderated notice, not counts
        action.seq += 1
        # Four times a second per live action: plain SQL, as the ORM's save() cost more
        # CPU than the statement (bench/snapshot_cost.py).
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {Action._meta.db_table} SET seq = %s WHERE id = %s", [action.seq, action.pk])
        return selectors.snapshot(action)


def next_movement_snapshot(movement_id: int) -> dict[str, Any] | None:
    """The movement's exact sum, recounted now, with the next seq (None: no such movement)."""
    with transaction.atomic():
        movement = Movement.objects.select_for_update(no_key=True).filter(pk=movement_id).first()
        if movement is None:
            return None
        movement.seq += 1
        movement.save(update_fields=["seq"])
        return movements.snapshot(movement)
