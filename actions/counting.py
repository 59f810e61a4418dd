"""An action's counts, and which of a snapshot's rarer parts it has, in one statement.

A snapshot goes out up to four times a second per live action. Built from ORM queries it
cost about 35 ms of worker CPU at 20,000 people on the 2-core bench machine, nearly all
of it Django compiling some fifteen small queries (bench/snapshot_cost.py). Here the
three counts and an EXISTS for each rarely present part (announcements, co-organizers,
spotlights, a raid, momentum, public map cells) are one plain statement; the snapshot
then asks only for the parts that are there (and for the newest pledges and deeds only
once the counts have some). The counts are the statements the ORM sent; the map probe
reads the index of map check-ins alone.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection

from .models import Action, Announcement, CheckIn, CheckInStatus, CoOrganizer, Momentum, Pledge, Raid, Spotlight


class Tally(NamedTuple):
    pledged: int
    checked_in: int
    deeds: int
    has_messages: bool
    has_co_organizers: bool
    has_spotlights: bool
    has_raid: bool
    has_momentum: bool
    has_public_cells: bool


def _sql() -> str:
    checkins, verified = CheckIn._meta.db_table, CheckInStatus.VERIFIED.value
    exists = {
        Announcement: "action_id = %(a)s",
        CoOrganizer: "action_id = %(a)s AND accepted_at IS NOT NULL",
        Spotlight: "action_id = %(a)s",
        Raid: "source_id = %(a)s",
        Momentum: "action_id = %(a)s",
        CheckIn: "action_id = %(a)s AND on_public_map",
    }
    probes = ", ".join(f"EXISTS (SELECT 1 FROM {m._meta.db_table} WHERE {where})" for m, where in exists.items())
    return (
        f"SELECT (SELECT COUNT(*) FROM {Pledge._meta.db_table} WHERE action_id = %(a)s),"
        f" (SELECT COUNT(*) FROM {checkins} WHERE action_id = %(a)s AND status = '{verified}'),"
        f" (SELECT COUNT(*) FROM {checkins} WHERE action_id = %(a)s AND status = '{verified}'"
        f" AND deed_done_at IS NOT NULL), {probes}"
    )


TALLY_SQL = _sql()


def tally(action: Action) -> Tally:
    with connection.cursor() as cursor:
        cursor.execute(TALLY_SQL, {"a": action.pk})
        pledged, checked_in, deeds, *present = cursor.fetchone()
    return Tally(pledged, checked_in, deeds, *(bool(flag) for flag in present))
