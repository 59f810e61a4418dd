"""Plans that must hold under a flash crowd: the planner's statistics lag far behind an
action that gains thousands of pledges in a minute (PostgreSQL only)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from actions import counting, selectors
from actions.models import CheckIn, CheckInStatus, Pledge
from common.sql import placeholders

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return json.dumps(cursor.fetchone()[0])


def _users(count: int) -> list[User]:
    return User.objects.bulk_create([User(username=f"crowd-{n}", password="!") for n in range(count)])


def _verified_crowd(action, count: int) -> None:
    pledges = Pledge.objects.bulk_create([Pledge(action=action, user=user) for user in _users(count)])
    CheckIn.objects.bulk_create(
        [CheckIn(action=action, pledge=p, idempotency_key=f"k{n}", status="verified") for n, p in enumerate(pledges)]
    )


def test_the_newest_pledgers_are_read_in_index_order_whatever_the_statistics_say(action):
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Pledge._meta.db_table}")  # statistics from before the crowd
    Pledge.objects.bulk_create([Pledge(action=action, user=user) for user in _users(3000)])
    plan = _plan(selectors.newest_pledges(action))
    # An index in the query's own order and a limit: no sort of every pledge.
    assert "pledge_action_newest" in plan and '"Sort"' not in plan


def test_a_pledges_optional_links_are_found_through_indexes_of_the_set_ones_only(action):
    """Most pledges have no referrer, raid or spotlight: those indexes hold only the set
    links (fewer index entries written per pledge), and lookups by a link still use them."""
    users = _users(3000)
    Pledge.objects.bulk_create([Pledge(action=action, user=user, referrer=users[0]) for user in users[1:50]])
    Pledge.objects.bulk_create([Pledge(action=action, user=user) for user in users[50:]])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Pledge._meta.db_table}")
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'pledge_referrer'")
        assert "WHERE (referrer_id IS NOT NULL)" in cursor.fetchone()[0]
    assert "pledge_referrer" in _plan(Pledge.objects.filter(referrer_id__in=[users[0].pk, users[1].pk]))
    assert "pledge_via_raid" in _plan(Pledge.objects.filter(via_raid_id=1))
    assert "pledge_via_spotlight" in _plan(Pledge.objects.filter(via_spotlight_id=action.pk))


def test_the_verifier_reads_pending_check_ins_through_an_index_of_those_alone(action):
    """A verdict takes its check-in out of the pending index (no entry written for it);
    the verifier's read, in judging order, and the sweep use that index."""
    _verified_crowd(action, 2000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {CheckIn._meta.db_table}")
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'checkin_pending'")
        assert "WHERE ((status)::text = 'pending'::text)" in cursor.fetchone()[0]
    pending = CheckIn.objects.filter(action=action, status=CheckInStatus.PENDING)
    plan = _plan(pending.order_by("received_at").values_list("pk")[:500])
    assert "checkin_pending" in plan and '"Sort"' not in plan
    stale = CheckIn.objects.filter(status=CheckInStatus.PENDING, received_at__lt=timezone.now())
    assert "checkin_pending" in _plan(stale)


def test_the_snapshots_map_probe_reads_the_map_index(action):
    """counting.TALLY_SQL runs with every snapshot: asking whether any check-in is on the
    public map reads the index of those alone, not the crowd's check-ins."""
    _verified_crowd(action, 2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN (FORMAT JSON) " + counting.TALLY_SQL, {"a": action.pk})
        assert "checkin_public_map" in json.dumps(cursor.fetchone()[0])


def test_the_verdict_frames_read_each_check_in_and_pledge_by_its_key(action):
    """selectors.VERDICT_ROWS_SQL runs after every verification round: it reads the
    round's check-ins, their pledges and profiles through their keys, never the crowd's."""
    _verified_crowd(action, 3000)
    ids = list(CheckIn.objects.filter(action=action).order_by("-pk").values_list("pk", flat=True)[:30])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) {selectors.VERDICT_ROWS_SQL}({placeholders(ids)})",
            [action.pk, action.pk, *ids],
        )
        plan = cursor.fetchone()[0][0]["Plan"]
    scans = {(node["Node Type"], node.get("Relation Name")) for node in _nodes(plan)}
    assert ("Index Scan", CheckIn._meta.db_table) in scans and ("Index Scan", Pledge._meta.db_table) in scans
    assert not {kind for kind, table in scans if table in (CheckIn._meta.db_table, Pledge._meta.db_table)} - {
        "Index Scan"
    }
    assert "Hash Join" not in {kind for kind, _ in scans}


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]
