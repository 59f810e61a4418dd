"""Query counts on the hot reads and writes: a cheap alarm for an N+1 or a lost index.
Each number is the whole cost today; a change that moves it should say why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from accounts import services as accounts
from accounts.models import ApiToken
from actions import rules, services
from social import notify
from social import services as social

from . import factories

SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))


def crowd(size: int) -> list:
    return [factories.guest(f"P{n}") for n in range(size)]


def test_snapshot_recount(live, django_assert_num_queries):
    people = crowd(12)
    for n, person in enumerate(people):
        services.check_in(live, person, rules.CheckInInput(f"snap-{n:05}", **SPOT))
    services.verify_pending(live.pk)
    for person in people[:5]:
        services.mark_deed_done(live, person)
    services.announce(live, live.organizer, "Hello")
    # Lock and bump seq (2), the counts with which parts there are (1), recent pledges and
    # deeds (2), messages (1), and the savepoint the test's own transaction makes of the
    # atomic block (2). No map cells, co-organizers, spotlight, raid or momentum: no query.
    with django_assert_num_queries(8):
        services.next_snapshot(live.pk)


def test_snapshot_of_an_empty_action(live, django_assert_num_queries):
    # Lock and bump seq (2), the counts and which parts there are (1), the savepoint (2).
    with django_assert_num_queries(5):
        services.next_snapshot(live.pk)


def test_pledge(live, django_assert_num_queries):
    person = factories.guest()
    # Look for an existing pledge (1), then the insert inside its savepoint (3).
    with django_assert_num_queries(4):
        services.pledge(live, person)


def test_pledge_again_is_one_read(live, django_assert_num_queries):
    person = factories.guest()
    services.pledge(live, person)
    with django_assert_num_queries(1):
        services.pledge(live, person)


@pytest.mark.skipif(not POSTGRES, reason="one statement for the batch on PostgreSQL; one by one elsewhere")
def test_check_in_batch_of_forty(live, django_assert_num_queries):
    entries = [(person, rules.CheckInInput(f"batch-{n:05}", **SPOT)) for n, person in enumerate(crowd(40))]
    # The INSERT ... SELECT for all forty, inside its savepoint.
    with django_assert_num_queries(3):
        services.check_in_many(live, entries)


def test_verdict_save_for_forty(live, django_assert_num_queries):
    for n, person in enumerate(crowd(40)):
        services.check_in(live, person, rules.CheckInInput(f"verd-{n:05}", **SPOT))
    # The action (1); per batch a savepoint, the locked pending rows, the verdicts saved
    # in one statement and the savepoint's release. A short batch ends the round: no
    # second look for more.
    with django_assert_num_queries(1 + 4):
        assert services.verify_pending(live.pk) == 40


def test_launch_announcement_to_forty_followers(organizer, django_assert_num_queries):
    for person in crowd(40):
        social.follow(person, organizer)
    made = factories.action(organizer)
    # The action with its organizer (1), the followers' ids (1) and the watchers of its
    # cell (1, none here); one publish.
    with django_assert_num_queries(3):
        assert notify.announce_launch(made.pk) == 40


def test_thirty_tokens_looked_up_and_their_use_recorded(db, django_assert_num_queries):
    keys = [accounts.issue_token(person, "script") for person in crowd(30)]
    hashes = [accounts.hash_token(key) for key in keys]
    # One statement on PostgreSQL (the use recorded in its own WITH); a second elsewhere.
    with django_assert_num_queries(1 if POSTGRES else 2):
        assert len(accounts.users_for_token_hashes(hashes)) == 30
    assert not ApiToken.objects.filter(last_used_at__isnull=True).exists()
    with django_assert_num_queries(1):  # used just now: nothing to record
        assert len(accounts.users_for_token_hashes(hashes)) == 30
