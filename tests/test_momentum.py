"""Momentum: levels reached by deeds done fast move the end, within a cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts import services as accounts
from actions import events, rules, services
from actions.models import Action, CheckIn, CheckInStatus, Momentum

from . import factories
from .conftest import assert_problem, capture_events, connected, next_of_type

pytestmark = pytest.mark.django_db

LEVELS = {"deeds": 3, "within_minutes": 5, "add_minutes": 5, "cap_minutes": 7}


def _put(api, action, body, user):
    headers = {"Authorization": f"Bearer {accounts.issue_token(user)}"} if user else {}
    return api.put(
        f"/api/v1/actions/{action.slug}/momentum", data=body, content_type="application/json", headers=headers
    )


def _deeds(action, n, start=0):
    for k in range(start, start + n):
        person = factories.guest(f"D{k}")
        services.check_in(action, person, services.CheckInInput(f"deed-key-{k:04d}", **factories.SPOT))
        services.verify_pending(action.pk)
        services.mark_deed_done(action, person)


def test_organizers_set_levels_and_bad_ones_are_refused(api, action, organizer):
    # 59.0 is an integer to JSON Schema (the fuzzer sends such), and is stored as one.
    whole = _put(api, action, {**LEVELS, "within_minutes": float(LEVELS["within_minutes"])}, organizer)
    assert whole.status_code == 200 and whole.json()["within_minutes"] == LEVELS["within_minutes"]
    made = _put(api, action, LEVELS, organizer)
    assert made.status_code == 200 and made.json() == {**LEVELS, "level": 0, "added_minutes": 0}
    assert api.get(f"/api/v1/actions/{action.slug}").json()["momentum"]["deeds"] == 3
    assert_problem(_put(api, action, {**LEVELS, "cap_minutes": 2}, organizer), 422)
    assert_problem(_put(api, action, {**LEVELS, "deeds": 0}, organizer), 422)
    assert_problem(_put(api, action, {**LEVELS, "deeds": "many"}, organizer), 422)
    assert_problem(_put(api, action, {**LEVELS, "deeds": True}, organizer), 422)  # not a count
    assert_problem(_put(api, action, {**LEVELS, "add_minutes": "5"}, organizer), 422)
    assert_problem(_put(api, action, {**LEVELS, "add_minutes": 5.5}, organizer), 422)
    assert_problem(_put(api, action, {**LEVELS, "extra": 1}, organizer), 422)
    assert_problem(_put(api, action, LEVELS, factories.member("stan")), 403)
    assert_problem(_put(api, action, LEVELS, None), 401)
    factories.move_clock(action, starts_in=-timedelta(hours=2))
    assert_problem(_put(api, action, LEVELS, organizer), 409, "ended")


def test_removing_the_levels_tells_every_screen(api, action, organizer):
    services.set_momentum(action, organizer, rules.MomentumInput(**LEVELS))
    with capture_events() as seen:
        gone = api.delete(
            f"/api/v1/actions/{action.slug}/momentum",
            headers={"Authorization": f"Bearer {accounts.issue_token(organizer)}"},
        )
    assert gone.status_code == 204
    assert [type(e) for e in seen] == [events.MomentumSet]
    assert api.get(f"/api/v1/actions/{action.slug}").json()["momentum"] is None


def test_levels_move_the_end_until_the_cap(action, organizer):
    live = factories.move_clock(action, starts_in=-timedelta(minutes=1))
    services.set_momentum(live, organizer, rules.MomentumInput(**LEVELS))
    first_end = live.ends_at
    _deeds(live, 2)
    assert services.reach_level(live.pk) is None  # two deeds are not three
    _deeds(live, 1, start=2)
    assert services.reach_level(live.pk) == 1
    assert services.reach_level(live.pk) is None  # the same deeds never count twice
    live.refresh_from_db()
    assert live.ends_at == first_end + timedelta(minutes=5)
    _deeds(live, 3, start=3)
    assert services.reach_level(live.pk) == 2
    live.refresh_from_db()
    assert live.ends_at == first_end + timedelta(minutes=7)  # capped: 5 + 2
    _deeds(live, 3, start=6)
    assert services.reach_level(live.pk) is None
    assert Momentum.objects.get(action=live).added_minutes == 7


def test_check_ins_count_until_the_new_end(action, organizer):
    live = factories.move_clock(action, starts_in=-timedelta(minutes=1))
    services.set_momentum(live, organizer, rules.MomentumInput(**LEVELS))
    _deeds(live, 3)
    services.reach_level(live.pk)
    live.refresh_from_db()
    # A check-in received after the old end but before the new one counts.
    old_end = live.ends_at - timedelta(minutes=5)
    late = factories.guest("Late")
    made, _ = services.check_in(live, late, services.CheckInInput("late-key-0001", **factories.SPOT))
    CheckIn.objects.filter(pk=made.pk).update(received_at=old_end + timedelta(minutes=1))
    services.verify_pending(live.pk)
    assert CheckIn.objects.get(pk=made.pk).status == CheckInStatus.VERIFIED


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_level_reaches_every_countdown(celery_worker):
    def setup():
        organizer = factories.member("olga")
        live = factories.move_clock(factories.action(organizer), starts_in=-timedelta(minutes=1))
        services.set_momentum(live, organizer, rules.MomentumInput(**LEVELS))
        return live

    live = await sync_to_async(setup)()
    ws = await connected(f"/ws/actions/{live.slug}/")
    await next_of_type(ws, "snapshot")
    await sync_to_async(_deeds)(live, 3)
    level = await next_of_type(ws, "level", timeout=20)
    stored = await sync_to_async(Action.objects.get)(pk=live.pk)
    assert level["level"] == 1 and level["added_minutes"] == 5
    assert level["ends_at"] == stored.ends_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert stored.ends_at > timezone.now() + timedelta(minutes=15)
    await ws.disconnect()
