"""Nearest-first dispatch: rings of watch cells widening around the action, run by a real
Celery worker, until enough pledge, the radius is reached or the action starts; each
ring one query; nobody alerted twice; the refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Profile
from actions import rules
from actions import services as actions
from actions.models import Action, Dispatch
from alerts import dispatch, push, services
from alerts.models import Alert, AlertSettings, Kind
from social import services as social
from social import watching

from . import factories
from .conftest import assert_problem, post, wait_for
from .pushing import Browser, PushService
from .test_alerts import _as, _flat

pytestmark = pytest.mark.django_db(transaction=True)
SPOT = (50.0617, 19.9373)
# Going north: about 111 km a degree of latitude.
KM = 1 / 111.0


def _watcher(service: PushService, name: str, km_north: float, radius_km: int = 1) -> Any:
    person = factories.member(name)
    push.subscribe(person, **_flat(Browser(service, name).subscription()))
    watching.add(person, SPOT[0] + km_north * KM, SPOT[1], radius_km)
    return person


def _trusted(name: str = "olga") -> Any:
    organizer = factories.member(name)
    Profile.objects.filter(user=organizer).update(trusted=True)
    return organizer


def test_rings_widen_nearest_first_up_to_the_radius(settings, vapid, push_service, celery_worker):
    settings.GOODMOB = {**settings.GOODMOB, "DISPATCH_RING_SECONDS": 0.3}
    _watcher(push_service, "here", 0)
    near = _watcher(push_service, "near", 9)
    _watcher(push_service, "farther", 17)
    beyond = _watcher(push_service, "beyond", 60)
    quiet = _watcher(push_service, "quiet", 0.5)
    AlertSettings.objects.create(user=quiet, nearby=False)
    organizer = _trusted()
    follower = _watcher(push_service, "fan", 0)
    social.follow(follower, organizer)
    action = actions.launch_action(
        organizer,
        factories.launch_input(starts_at=timezone.now() + timedelta(minutes=30)),
        dispatch=rules.DispatchInput(people=50, max_radius_km=20),
    )
    done = wait_for(lambda: Dispatch.objects.filter(action=action, finished_at__isnull=False).first())
    assert done is not None and done.finished_because == "max_radius"
    alerts = list(Alert.objects.filter(action=action, kind=Kind.DISPATCH).order_by("created_at", "pk"))
    order = [a.user.username for a in alerts]
    assert order[0] == "here" and order.index("near") < order.index("farther"), order
    assert set(order) == {"here", "near", "farther"}  # not beyond 20 km, not who said no
    assert done.rings_sent == 5 and done.alerted == 3  # rings 0 to 4: four steps of 6.4 km reach 20 km
    # The follower heard of the launch once, as a follower, not again from the rings.
    assert list(Alert.objects.filter(user=follower).values_list("kind", flat=True)) == [Kind.FOLLOWED_LAUNCH]
    assert not Alert.objects.filter(user__in=[beyond, quiet]).exists()
    assert wait_for(lambda: push_service.got.qsize() == 4)
    progress = dispatch.progress(action)
    assert progress is not None and progress["alerted"] == 3 and progress["pledged_from_dispatch"] == 0
    actions.pledge(action, near)
    assert dispatch.progress(action)["pledged_from_dispatch"] == 1


def test_dispatch_stops_once_enough_have_pledged(settings, vapid, push_service, celery_worker):
    settings.GOODMOB = {**settings.GOODMOB, "DISPATCH_RING_SECONDS": 0.3}
    near = _watcher(push_service, "near", 0)
    _watcher(push_service, "far", 12)
    action = actions.launch_action(
        _trusted(), factories.launch_input(capacity=1), dispatch=rules.DispatchInput(people=5, max_radius_km=50)
    )
    assert wait_for(lambda: Alert.objects.filter(user=near, kind=Kind.DISPATCH).exists())
    actions.pledge(action, near)  # capacity 1: full, whatever was asked
    done = wait_for(lambda: Dispatch.objects.filter(action=action, finished_at__isnull=False).first())
    assert done.finished_because == "enough"
    assert not Alert.objects.filter(user__username="far").exists()


def test_each_ring_is_one_query(push_service, django_assert_num_queries):
    for n in range(30):
        _watcher(push_service, f"w{n}", n % 15)
    action = factories.action(_trusted())
    with django_assert_num_queries(1):
        people = list(services.reachable(Kind.DISPATCH, dispatch.ring_people(action, 1)).values_list("pk", flat=True))
    assert people


def test_dispatch_needs_a_place_a_track_record_and_sane_numbers(api):
    newcomer, trusted = factories.member("nina"), _trusted()
    body = factories.action_body(dispatch={"people": 10, "max_radius_km": 5})
    assert_problem(post(api, "/api/v1/actions", body, _as(newcomer)), 403, "no_track_record")
    for bad in (
        {"people": 0, "max_radius_km": 5},
        {"people": 10, "max_radius_km": 51},
        {"people": 10},
        {"people": "10", "max_radius_km": 5},
        {"people": 10, "max_radius_km": 5, "extra": 1},
        {"people": 10, "max_radius_km": 5, "begins_at": "2999-01-01T00:00:00Z"},
    ):
        assert_problem(post(api, "/api/v1/actions", {**body, "dispatch": bad}, _as(trusted)), 422)
    anywhere = {**body, "radius_m": None}
    assert_problem(post(api, "/api/v1/actions", anywhere, _as(trusted)), 422)
    assert not Action.objects.exists() and not Dispatch.objects.exists()
    made = post(api, "/api/v1/actions", body, _as(trusted))
    assert made.status_code == 201, made.content
    slug = made.json()["slug"]
    seen = api.get(f"/api/v1/actions/{slug}/dispatch", headers=_as(trusted)).json()
    assert seen["wanted"] == 10 and seen["max_radius_km"] == 5
    assert_problem(api.get(f"/api/v1/actions/{slug}/dispatch", headers=_as(newcomer)), 403)
    assert_problem(api.get(f"/api/v1/actions/{slug}/dispatch"), 401)
