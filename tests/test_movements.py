"""Forks and movements: a deed taken to other places, and the one exact tally of them all."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Profile
from actions import movements, protocol, services
from actions.models import Action, Movement
from actions.services.forks import movement_of

from . import factories
from .conftest import assert_problem, connected, next_of_type, post

pytestmark = pytest.mark.django_db(transaction=True)  # the hot endpoints work on their own threads

# Three streets in three towns: (lat, lon) of each fork's place.
PLACES = {"Gdansk": (54.352, 18.6466), "Poznan": (52.4064, 16.9252), "Lodz": (51.7592, 19.456)}


def _as(user):
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def _place(town):
    lat, lon = PLACES[town]
    return {"place_name": town, "lat": lat, "lon": lon, "radius_m": 200}


def _where(town, **more):
    """A fork's body for the API: the town's place, starting in five minutes."""
    return {**_place(town), "starts_at": (timezone.now() + timedelta(minutes=5)).isoformat(), **more}


def _fork(api, action, user, **body):
    return post(api, f"/api/v1/actions/{action.slug}/forks", body, _as(user) if user else None)


def _deeds(action, n, town=None, tag="d"):
    lat, lon = PLACES[town] if town else (factories.SPOT["lat"], factories.SPOT["lon"])
    for k in range(n):
        person = factories.guest(f"{tag}{k}")
        services.check_in(action, person, services.CheckInInput(f"{tag}-key-{k:04d}", lat=lat, lon=lon, accuracy_m=10))
        services.verify_pending(action.pk)
        services.mark_deed_done(action, person)


def test_a_guest_forks_an_action_and_a_movement_forms(api, action):
    guest = factories.guest("Gosia")
    made = _fork(api, action, guest, **_where("Gdansk"))
    assert made.status_code == 201, made.content
    body = made.json()
    fork = Action.objects.get(slug=body["slug"])
    action.refresh_from_db()
    assert fork.organizer == guest and fork.forked_from == action
    assert (fork.deed, fork.title, fork.goal) == (action.deed, action.title, action.goal)
    assert fork.ends_at - fork.starts_at == action.ends_at - action.starts_at
    assert fork.movement_id == action.movement_id == body["movement"]["id"]
    assert body["movement"]["url"] == f"/m/{fork.movement_id}"
    # A fork of the fork stays in the same movement, with its own title and goal.
    again = _fork(api, fork, factories.member("piotr"), **_where("Poznan", title="Sprzątanie Poznań", goal=20))
    assert again.status_code == 201
    third = Action.objects.get(slug=again.json()["slug"])
    assert (third.movement_id, third.title, third.goal) == (fork.movement_id, "Sprzątanie Poznań", 20)
    assert Movement.objects.count() == 1
    found = api.get(f"/api/v1/movements/{fork.movement_id}").json()
    protocol.MovementSnapshot.model_validate(found)
    assert found["places"] == 3 and found["title"] == action.title and found["deed"] == action.deed
    # Every local action's snapshot links to it.
    assert api.get(f"/api/v1/actions/{action.slug}").json()["movement"]["id"] == fork.movement_id


def test_bad_forks_get_the_answers_a_launch_gets(api, action):
    guest = factories.guest("Gosia")
    assert_problem(_fork(api, action, None, **_where("Gdansk")), 401)
    assert_problem(_fork(api, action, guest, **_where("Gdansk", duration_minutes=0)), 422)
    assert_problem(_fork(api, action, guest, **_where("Gdansk", lat=123.0)), 422)
    assert_problem(_fork(api, action, guest, **_where("Gdansk", starts_at="2020-01-01T10:00:00Z")), 422)
    assert_problem(_fork(api, action, guest, **_where("Gdansk", starts_at="tomorrow")), 422)
    assert_problem(_fork(api, action, guest, **_where("Gdansk", radius_m=5)), 422)
    assert_problem(_fork(api, action, guest, **_where("Gdansk", deed="Something else")), 422)
    no_point = {"place_name": "x", "radius_m": 100, "starts_at": _where("Gdansk")["starts_at"]}
    assert_problem(_fork(api, action, guest, **no_point), 422)
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/forks", raw=b"[1,2", headers=_as(guest)), 400)
    assert_problem(_fork(api, Action(slug="no-such-action"), guest, **_where("Gdansk")), 404)
    hidden, ended, cancelled = (factories.action(title=f"T{k}") for k in range(3))
    services.hide_action(hidden, "spam")
    assert_problem(_fork(api, hidden, guest, **_where("Gdansk")), 410, "hidden")
    factories.move_clock(ended, starts_in=-timedelta(hours=1))
    assert_problem(_fork(api, ended, guest, **_where("Gdansk")), 409, "ended")
    services.cancel_action(cancelled, cancelled.organizer)
    assert_problem(_fork(api, cancelled, guest, **_where("Gdansk")), 409, "cancelled")
    assert Movement.objects.count() == 0 and Action.objects.filter(organizer=guest).count() == 0
    assert_problem(api.get("/api/v1/movements/12345"), 404)
    assert api.get("/api/v1/movements/99999999999999999999999").status_code == 404


def test_the_tally_is_the_exact_sum_of_the_visible_local_actions(action):
    trusted = factories.member("tomek")
    Profile.objects.filter(user=trusted).update(trusted=True)
    listed = services.fork_action(action, trusted, factories.launch_input(**_place("Gdansk")))
    newcomer = services.fork_action(action, factories.guest("Nowy"), factories.launch_input(**_place("Lodz")))
    for local in (action, listed, newcomer):
        factories.move_clock(local, starts_in=-timedelta(minutes=1))
    _deeds(action, 3, tag="a")
    _deeds(listed, 2, "Gdansk", tag="g")
    _deeds(newcomer, 4, "Lodz", tag="l")
    movement = Movement.objects.get()
    found = movements.snapshot(movement)
    assert found["counts"] == {"pledged": 9, "checked_in": 9, "deeds": 9, "goal": 150}
    assert (found["places"], found["live"]) == (3, 3)
    # A newcomer's local action counts, but strangers are not shown who organizes it.
    assert {a["slug"] for a in found["actions"]} == {action.slug, listed.slug}
    assert found["others"] == [{"area": movements.area(newcomer), "phase": "live", "deeds": 4}]
    # Places are coarse: the centre of a big cell, never the street.
    gdansk = next(a for a in found["actions"] if a["slug"] == listed.slug)["area"]
    assert gdansk != {"lat": round(PLACES["Gdansk"][0], 3), "lon": round(PLACES["Gdansk"][1], 3)}
    assert abs(gdansk["lat"] - PLACES["Gdansk"][0]) < 0.2
    services.hide_action(newcomer, "spam")
    assert movements.snapshot(movement)["counts"]["deeds"] == 5


def test_two_first_forks_at_once_make_one_movement(action):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    barrier = threading.Barrier(2)
    found: list[int] = []

    def first_fork() -> None:
        barrier.wait()
        try:
            found.append(movement_of(Action.objects.get(pk=action.pk)).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_fork) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    action.refresh_from_db()
    assert found == [action.movement_id] * 2 and Movement.objects.count() == 1


def test_pages_offer_do_this_near_me_and_show_the_movement(client, action):
    page = client.get(action.get_absolute_url())
    assert b'data-testid="fork"' in page.content and b"movement-link" not in page.content
    form = client.get(f"/a/{action.slug}/fork")
    assert form.status_code == 200 and action.deed.encode() in form.content and b"data-locate" in form.content
    # A visitor gives a name and becomes a guest in the same tap.
    lat, lon = PLACES["Poznan"]
    starts = (timezone.localtime() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    fields = {"name": "Ola", "title": "Poznań too", "place_name": "Stary Rynek", "lat": lat, "lon": lon}
    made = client.post(
        f"/a/{action.slug}/fork",
        {**fields, "radius_m": 150, "starts_at": starts, "tz_offset": 0, "duration_minutes": 10, "goal": 25},
    )
    fork = Action.objects.get(forked_from=action)
    assert made.status_code == 302 and made["Location"] == fork.get_absolute_url()
    assert fork.organizer.profile.display_name == "Ola" and fork.deed == action.deed
    movement_page = client.get(f"/m/{fork.movement_id}")
    assert movement_page.status_code == 200
    # Ola is new: her place counts and shows as a coarse dot, but strangers don't see her name.
    shown = movement_page.context["snapshot"]
    assert shown["places"] == 2 and len(shown["others"]) == 1 and b"Stary Rynek" not in movement_page.content
    assert b'data-testid="movement-fork"' in movement_page.content
    assert client.get(f"/m/{fork.movement_id}/live").status_code == 200
    assert client.get(f"/m/{fork.movement_id}/qr.svg")["Content-Type"] == "image/svg+xml"
    assert client.get("/m/4242").status_code == 404
    assert b"movement-link" in client.get(action.get_absolute_url()).content
    # Bad fields are form errors, not 500s; an ended original sends you back.
    bad = client.post(f"/a/{action.slug}/fork", {**fields, "lat": "north", "starts_at": starts, "goal": 25})
    assert bad.status_code == 200 and b"has-error" in bad.content
    factories.move_clock(action, starts_in=-timedelta(hours=2))
    assert client.get(f"/a/{action.slug}/fork")["Location"] == f"/m/{fork.movement_id}"


@pytest.mark.asyncio
async def test_the_movement_socket_follows_every_local_action(celery_worker):
    def setup():
        original = factories.move_clock(factories.action(factories.member("olga")), starts_in=-timedelta(minutes=1))
        fork = services.fork_action(original, factories.guest("Ania"), factories.launch_input(**_place("Gdansk")))
        return original, factories.move_clock(fork, starts_in=-timedelta(minutes=1))

    original, fork = await sync_to_async(setup)()
    ws = await connected(f"/ws/movements/{fork.movement_id}/")
    first = await next_of_type(ws, "movement")
    assert first["places"] == 2 and first["counts"]["deeds"] == 0
    await sync_to_async(_deeds)(fork, 2, "Gdansk", tag="g")
    await sync_to_async(_deeds)(original, 1, tag="a")
    while (frame := await next_of_type(ws, "movement", timeout=20))["counts"]["deeds"] < 3:
        assert frame["seq"] > first["seq"]
    assert frame["counts"] == {"pledged": 3, "checked_in": 3, "deeds": 3, "goal": 100}
    await ws.disconnect()
    gone = await connected("/ws/movements/999999/")
    assert (await next_of_type(gone, "error"))["code"] == "not_found"
    assert (await gone.receive_output(timeout=5))["code"] == 4404
