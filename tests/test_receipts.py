"""Receipts: each verified deed yields a record signed with the server's Ed25519 key,
which anyone can verify offline with the public key."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client, TestCase

from accounts import services as accounts
from actions import services
from actions.models import Receipt

from . import factories
from .conftest import assert_problem

SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def done_deed(organizer, name: str = "doer"):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    person = factories.member(name)
    services.check_in(live, person, services.CheckInInput(f"rcpt-{person.pk:05}", **SPOT))
    services.verify_pending(live.pk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.mark_deed_done(live, person)
    return live, person


def test_a_verified_deed_yields_a_receipt_anyone_can_verify(organizer):
    live, person = done_deed(organizer)
    receipt = Receipt.objects.get()
    client = Client()
    key = client.get("/api/v1/receipts/key").json()
    assert key["alg"] == "Ed25519" and len(unb64(key["public_key"])) == 32
    body = client.get(f"/api/v1/receipts/{receipt.public_id}").json()
    public = Ed25519PublicKey.from_public_bytes(unb64(key["public_key"]))
    public.verify(unb64(body["signature"]), body["payload"].encode())  # raises if forged
    payload = json.loads(body["payload"])
    assert payload["holder"] == person.profile.handle and payload["action"] == live.slug
    assert payload["deed"] == live.deed and payload["area"] and "lat" not in body["payload"]
    with pytest.raises(InvalidSignature):
        public.verify(unb64(body["signature"]), body["payload"].replace(person.profile.handle, "someone").encode())
    assert services.issue_receipt(receipt.checkin_id) == receipt  # once per deed


def test_my_receipts_and_the_refusals(organizer):
    _, person = done_deed(organizer)
    headers = {"Authorization": f"Bearer {accounts.issue_token(person)}"}
    mine = Client().get("/api/v1/me/receipts", headers=headers).json()
    assert len(mine) == 1 and json.loads(mine[0]["payload"])["holder"] == person.profile.handle
    assert_problem(Client().get("/api/v1/me/receipts"), 401, "unauthorized")
    assert_problem(Client().get("/api/v1/receipts/nope"), 404, "not_found")


def test_no_receipt_without_a_verified_deed(organizer):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    person = factories.member("far")
    made, _ = services.check_in(live, person, services.CheckInInput("far-000001", lat=51.0, lon=19.9, accuracy_m=5))
    services.verify_pending(live.pk)
    assert services.issue_receipt(made.pk) is None and not Receipt.objects.exists()


def test_the_impact_record_is_one_query_of_rows(organizer, django_assert_num_queries):
    from actions import selectors

    live, person = done_deed(organizer)
    services.pledge(live, factories.guest("Friend"), ref_handle=person.profile.handle)
    with django_assert_num_queries(1):
        record = selectors.impact(person)
    none = {"attention_given": 0, "attention_received": 0}
    assert record == {"deeds": 1, "organized": 0, "organized_deeds": 0, "brought": 1, **none}
    assert selectors.impact(organizer) == {"deeds": 0, "organized": 1, "organized_deeds": 1, "brought": 0, **none}
    page = Client().get(f"/u/{person.profile.handle}").content.decode()
    assert 'data-testid="impact"' in page and "people brought" in page
