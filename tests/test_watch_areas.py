"""Watch areas: kept only as coarse cells, and a public launch inside one reaches the
watcher's own feed (/ws/me/)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from accounts import services as accounts
from accounts.models import Profile
from social import notify, watching
from social.models import WatchArea, WatchCell

from . import factories
from .conftest import assert_problem, connected, next_of_type, post

pytestmark = pytest.mark.django_db(transaction=True)

KRAKOW = {"lat": 50.0617, "lon": 19.9373}


def _as(user):
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def test_an_area_is_kept_as_coarse_cells_only(api):
    watcher = factories.member("wanda")
    made = post(api, "/api/v1/me/watch-areas", {**KRAKOW, "radius_km": 10}, _as(watcher))
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["cells"] == WatchCell.objects.count() == 19 and body["radius_km"] == 10  # two rings
    assert (body["centre"]["lat"], body["centre"]["lon"]) != (KRAKOW["lat"], KRAKOW["lon"])
    assert {f.name for f in WatchArea._meta.get_fields()} == {"id", "user", "radius_km", "created_at", "cells"}
    assert [a["id"] for a in api.get("/api/v1/me/watch-areas", headers=_as(watcher)).json()] == [body["id"]]
    exported = api.get("/api/v1/me/export", headers=_as(watcher)).json()["watch_areas"]
    assert len(exported[0]["cells"]) == 19 and exported[0]["radius_km"] == 10
    stranger = factories.member("stan")
    assert_problem(api.delete(f"/api/v1/me/watch-areas/{body['id']}", headers=_as(stranger)), 404)
    assert api.delete(f"/api/v1/me/watch-areas/{body['id']}", headers=_as(watcher)).status_code == 204
    assert not WatchCell.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {**KRAKOW, "radius_km": 0},
        {**KRAKOW, "radius_km": 51},
        {"lat": 91, "lon": 0, "radius_km": 5},
        {"lat": "50", "lon": 19.9, "radius_km": 5},
        {**KRAKOW, "radius_km": 5, "label": "home"},
        {"radius_km": 5},
    ],
)
def test_bad_areas_are_422(api, body):
    assert_problem(post(api, "/api/v1/me/watch-areas", body, _as(factories.member("wanda"))), 422)
    assert not WatchArea.objects.exists()


def test_at_most_five_and_only_for_you(api):
    watcher = factories.member("wanda")
    for _ in range(5):
        post(api, "/api/v1/me/watch-areas", {**KRAKOW, "radius_km": 1}, _as(watcher))
    assert_problem(post(api, "/api/v1/me/watch-areas", {**KRAKOW, "radius_km": 1}, _as(watcher)), 422, "too_many")
    assert_problem(post(api, "/api/v1/me/watch-areas", {**KRAKOW, "radius_km": 1}), 401)


@pytest.mark.asyncio
async def test_a_public_launch_inside_reaches_the_watcher_once():
    def setup():
        watcher, organizer, newcomer = factories.member("wanda"), factories.member("olga"), factories.guest("New")
        Profile.objects.filter(user=organizer).update(trusted=True)
        watching.add(watcher, KRAKOW["lat"], KRAKOW["lon"], 5)
        watching.add(watcher, KRAKOW["lat"], KRAKOW["lon"], 5)  # two areas, same cells: still one notice
        return watcher, organizer, newcomer, accounts.issue_token(watcher)

    watcher, organizer, newcomer, token = await sync_to_async(setup)()
    ws = await connected("/ws/me/", (b"authorization", f"Bearer {token}".encode()))
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    far = await sync_to_async(factories.action)(organizer, title="Far away", lat=52.2297, lon=21.0122)
    newcomers = await sync_to_async(factories.action)(newcomer, title="Newcomer's")
    near = await sync_to_async(factories.action)(organizer, title="Round the corner")
    for made in (far, newcomers, near):
        await sync_to_async(notify.announce_launch)(made.pk)
    launch = await next_of_type(ws, "launch")
    assert launch["action"]["slug"] == near.slug
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
