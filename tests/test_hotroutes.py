"""The bearer fast path in front of Django answers exactly as the ninja views do."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from actions.models import CheckIn, Pledge

from .conftest import call
from .factories import SPOT, live_action_and_token

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_check_in_then_the_same_key_through_django_gives_the_same_answer():
    action, token = await live_action_and_token()
    body = {**SPOT, "idempotency_key": "fast-000001"}
    status, fast, headers = await call(f"/api/v1/actions/{action.slug}/checkins", token, body)
    assert status == 202 and fast["status"] == "pending"
    assert headers[b"content-type"] == b"application/json; charset=utf-8"

    def through_django():
        return Client().post(
            f"/api/v1/actions/{action.slug}/checkins",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    slow = await sync_to_async(through_django)()
    assert slow.status_code == 202 and slow.json() == fast
    assert await sync_to_async(CheckIn.objects.count)() == 1


async def test_pledge_and_deed():
    action, token = await live_action_and_token()
    first = await call(f"/api/v1/actions/{action.slug}/pledges", token, {"ref": "olga"})
    again = await call(f"/api/v1/actions/{action.slug}/pledges", token, b"")
    assert (first[0], again[0]) == (201, 200)
    assert first[1]["share_url"].startswith("http://127.0.0.1:8000/a/")
    referrer = await sync_to_async(lambda: Pledge.objects.get().referrer.profile.handle)()
    assert referrer == "olga"
    status, body, _ = await call(f"/api/v1/actions/{action.slug}/deeds", token)
    assert (status, body["error"]) == (409, "not_verified")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{nope", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        ({"lat": "north", "lon": 1, "accuracy_m": 1, "idempotency_key": "k-00000001"}, 422, "invalid"),
        ({**SPOT, "lat": 95, "idempotency_key": "k-00000001"}, 422, "invalid"),
        ({**SPOT}, 422, "invalid"),
        (b"x" * 300_000, 413, "too_large"),
    ],
)
async def test_bad_input_gets_a_clear_answer(body, status, code):
    action, token = await live_action_and_token()
    got_status, got, _ = await call(f"/api/v1/actions/{action.slug}/checkins", token, body)
    assert (got_status, got["error"]) == (status, code) and got["detail"]
    assert await sync_to_async(CheckIn.objects.count)() == 0


async def test_auth_host_and_unknown_action():
    action, token = await live_action_and_token()
    assert (await call(f"/api/v1/actions/{action.slug}/checkins", "wrong-token", SPOT))[0] == 401
    status, body, _ = await call("/api/v1/actions/no-such/checkins", token, {**SPOT, "idempotency_key": "k-00000001"})
    assert (status, body["error"]) == (404, "not_found")
    status, body, _ = await call(f"/api/v1/actions/{action.slug}/checkins", token, SPOT, host=b"evil.example")
    assert (status, body["error"]) == (400, "bad_request")
    # No bearer token: Django and its session auth answer.
    status, body, _ = await call(f"/api/v1/actions/{action.slug}/checkins", None, SPOT)
    assert (status, body["error"]) == (401, "unauthorized")
