"""Audit item 10: login, signup, token creation, guests and public reads are throttled,
and every 429 says when to come back (Retry-After)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from accounts.models import ApiToken
from common import ratelimit
from common import redis as goodmob_redis

from . import factories

pytestmark = pytest.mark.django_db


def assert_429(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.content[:300]
    assert int(response["Retry-After"]) > 0


def test_wrong_passwords_lock_the_name_even_for_the_right_one(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    factories.member("rosa")
    client = Client()
    for _ in range(4):
        assert client.post("/login/", {"username": "rosa", "password": "wrong-guess"}).status_code == 200
    assert_429(client.post("/login/", {"username": "rosa", "password": "wrong-guess"}))  # the fifth locks
    locked = client.post("/login/", {"username": "rosa", "password": "a-long-test-password"})
    assert_429(locked)
    assert b"Too many wrong passwords" in locked.content
    assert "_auth_user_id" not in client.session


def test_the_right_password_works_before_the_limit() -> None:
    factories.member("ike")
    client = Client()
    client.post("/login/", {"username": "ike", "password": "wrong-guess"})
    assert client.post("/login/", {"username": "ike", "password": "a-long-test-password"}).status_code == 302


def test_one_address_trying_many_names_is_braked(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, 60)}
    client = Client()
    for n in range(3):
        client.post("/login/", {"username": f"name{n}", "password": "x"})
    assert_429(client.post("/login/", {"username": "name9", "password": "x"}))


def test_signups_per_address(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": (1, 3600)}
    form = {"password1": "a-long-test-password", "password2": "a-long-test-password"}
    assert Client().post("/signup/", {**form, "username": "first"}).status_code == 302
    assert_429(Client().post("/signup/", {**form, "username": "second"}))


def test_tokens_per_user(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": (2, 3600)}
    client = Client()
    user = factories.member("scripter")
    client.force_login(user)
    for _ in range(2):
        assert client.post("/account/", {"intent": "token"}).status_code == 200
    assert_429(client.post("/account/", {"intent": "token"}))
    assert ApiToken.objects.filter(user=user).count() == 2


def test_joining_as_a_new_guest_per_address(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "guest_hour": (1, 3600)}
    action = factories.action(factories.member("olga"))
    assert Client().post(f"/a/{action.slug}/join", {"name": "One"}).status_code == 302
    assert_429(Client().post(f"/a/{action.slug}/join", {"name": "Two"}))


def test_public_reads_per_address(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "read": (3, 60)}
    action = factories.action(factories.member("olga"))
    client = Client()
    for _ in range(3):
        assert client.get(f"/api/v1/actions/{action.slug}").status_code == 200
    refused = client.get(f"/api/v1/actions/{action.slug}/tally")
    assert_429(refused)
    assert refused.json()["error"] == "rate_limited"
    assert_429(client.get(f"/a/{action.slug}"))


@pytest.mark.django_db(transaction=True)
def test_the_bearer_fast_path_says_when_to_come_back(settings) -> None:
    import asyncio

    from .conftest import call
    from .factories import SPOT, live_action_and_token

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkin": (1, 60)}
    action, token = asyncio.run(live_action_and_token())
    path = f"/api/v1/actions/{action.slug}/checkins"
    assert asyncio.run(call(path, token, {**SPOT, "idempotency_key": "rate-0001"}))[0] == 202
    status, body, headers = asyncio.run(call(path, token, {**SPOT, "idempotency_key": "rate-0002"}))
    assert (status, body["error"]) == (429, "rate_limited")
    assert 0 < int(headers[b"retry-after"]) <= 60


def test_a_batch_counts_each_hit_in_one_call_and_its_buckets_expire(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkin": (2, 60)}
    ident = f"batch-{uuid.uuid4().hex}"
    assert ratelimit.refusals("checkin", [ident, "someone-else", ident]) == [None] * 3  # two hits: at the limit
    [third] = ratelimit.refusals("checkin", [ident])
    assert third is not None and third.status == 429 and 0 < third.retry_after <= 60
    client = goodmob_redis.client()
    names = client.keys(goodmob_redis.key("rl", "checkin", ident, "*"))
    assert len(names) == 1 and 0 < client.ttl(names[0]) <= 61
