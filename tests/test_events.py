"""Services emit named domain events after commit; listeners in other apps react."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import TestCase

from accounts import services as accounts
from actions import events, services
from actions.models import Phase
from common.errors import Conflict, Forbidden
from realtime import listeners
from social import notify

from . import factories
from .conftest import capture_events

SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}


def names(seen: list[events.Event]) -> list[str]:
    return [event.name for event in seen]


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))


def test_launch_emits_launched(organizer):
    with capture_events() as seen:
        made = factories.action(organizer)
    assert seen == [events.Launched(made.pk)]


def test_pledge_emits_once_with_ids(action):
    fan = factories.guest("Fan")
    with capture_events() as seen:
        made, _ = services.pledge(action, fan)
        services.pledge(action, fan)  # idempotent: no second event
    assert seen == [events.Pledged(action.pk, ((made.pk, fan.pk),))]


def test_check_in_verdicts_and_deed(live):
    near, far = factories.guest("Near"), factories.guest("Far")
    with capture_events() as seen:
        ok, _ = services.check_in(live, near, services.CheckInInput("near-00001", **SPOT))
        bad, _ = services.check_in(live, far, services.CheckInInput("far-000001", lat=51.0, lon=19.9, accuracy_m=10))
    assert names(seen) == ["pledge.created", "checkin.received", "pledge.created", "checkin.received"]
    with capture_events() as seen:
        services.verify_pending(live.pk)
    assert seen == [events.CheckInsVerified(live.pk, (ok.pk,)), events.CheckInsRejected(live.pk, (bad.pk,))]
    with capture_events() as seen:
        services.mark_deed_done(live, near)
        services.mark_deed_done(live, near)  # done already: nothing new
    assert seen == [events.DeedDone(live.pk, ok.pk)]


def test_phase_changes_cancel_and_message(action):
    factories.move_clock(action, starts_in=timedelta(seconds=-1))
    with capture_events() as seen:
        services.sync_phase(action.pk)
        services.sync_phase(action.pk)  # up to date: nothing
    assert seen == [events.PhaseChanged(action.pk, Phase.LIVE)]
    with capture_events() as seen:
        made = services.announce(action, action.organizer, "Meet at the fountain")
        services.cancel_action(action, action.organizer)
    assert seen == [
        events.MessagePosted(action.pk, made.pk),
        events.PhaseChanged(action.pk, Phase.CANCELLED),
        events.Cancelled(action.pk),
    ]


def test_refused_and_rolled_back_writes_emit_nothing(action):
    action = services.end_action(action, action.organizer)
    with capture_events() as seen:
        with pytest.raises(Forbidden):
            services.cancel_action(action, factories.member("stranger"))
        with pytest.raises(Conflict, match="ended"):
            services.pledge(action, factories.guest())
        try:
            with transaction.atomic():
                factories.action(action.organizer)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert seen == []


def test_listeners_live_in_their_own_apps():
    """The domain's events reach realtime and social without the domain importing them."""
    registered = events._listeners
    assert listeners.recount in registered[events.Pledged]
    assert notify.on_pledges in registered[events.Pledged]
    assert notify.on_launch in registered[events.Launched]
    assert listeners.tell_phase in registered[events.PhaseChanged]


def test_a_failing_listener_does_not_stop_the_others(action):
    calls: list[str] = []

    def broken(event: events.Event) -> None:
        raise RuntimeError("boom")

    events.listen(events.Pledged)(broken)
    events.listen(events.Pledged)(lambda event: calls.append(event.name))
    try:
        with capture_events():
            services.pledge(action, accounts.create_guest("Ok"))
    finally:
        events.unlisten(events.Pledged, broken)
        events._listeners[events.Pledged].pop()
    assert calls == ["pledge.created"]


def test_dispatch_with_hands_the_listeners_to_the_runner(action):
    queued: list[Callable[[], None]] = []
    got: list[events.Event] = []
    events.listen(events.Pledged)(got.append)
    try:
        with events.dispatch_with(queued.append), TestCase.captureOnCommitCallbacks(execute=True):
            services.pledge(action, factories.guest())
        assert got == [] and len(queued) == 1  # held by the runner, not yet dispatched
        queued[0]()
    finally:
        events.unlisten(events.Pledged, got.append)
    assert names(got) == ["pledge.created"]
