"""Audit, low: JSON 405s and HEAD on GET endpoints; one namespace for usernames and
handles; the OpenAPI document lists every refusal an operation gives."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services as accounts
from accounts.models import Profile
from actions import rules
from common.errors import Conflict

from . import factories
from .conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_a_wrong_method_is_a_json_405_that_names_the_right_ones() -> None:
    refused = Client().delete("/api/v1/guests")
    assert_problem(refused, 405, "method_not_allowed")
    assert refused["Allow"] == "POST"


def test_head_works_wherever_get_does(action) -> None:
    got = Client().get(f"/api/v1/actions/{action.slug}/tally")
    head = Client().head(f"/api/v1/actions/{action.slug}/tally")
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(got.content))


def test_a_guest_cannot_take_someone_elses_handle_as_username() -> None:
    other = factories.guest("Rosa")
    handle = Profile.objects.get(user=other).handle
    guest = factories.guest("Mallory")
    client = Client()
    client.force_login(guest)
    page = client.post("/account/", {"username": handle.upper(), "password": "a-long-test-password"})
    assert page.status_code == 200 and b"taken" in page.content
    guest.refresh_from_db()
    assert guest.username.startswith("guest-")
    with pytest.raises(Conflict):
        accounts.upgrade_guest(guest, username=handle, password="a-long-test-password")


def test_signup_cannot_take_a_guests_handle() -> None:
    handle = Profile.objects.get(user=factories.guest("Ike")).handle
    form = {"username": handle, "password1": "a-long-test-password", "password2": "a-long-test-password"}
    page = Client().post("/signup/", form)
    assert page.status_code == 200 and b"taken" in page.content


def test_the_schema_lists_the_refusals_each_operation_gives() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    launch = doc["paths"]["/api/v1/actions"]["post"]["responses"]
    assert {"400", "401", "403", "415", "422", "429", "503"} <= set(launch)
    reads = doc["paths"]["/api/v1/actions/{slug}/tally"]["get"]["responses"]
    assert {"404", "429", "503"} <= set(reads)


def test_the_schemas_limits_are_json_schema_keywords() -> None:
    """Pydantic writes a limit it cannot place as its own "ge"/"le", which clients and
    fuzzers ignore (an optional count behind a validator did: common/openapi.py)."""

    def keys(node: object) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for value in node.values() for k in keys(value)}
        return {k for value in node for k in keys(value)} if isinstance(node, list) else set()

    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert not keys(schemas) & {"ge", "le", "gt", "lt", "strict"}
    radius = schemas["ActionIn"]["properties"]["radius_m"]["anyOf"][0]
    assert radius == {"type": "integer", "minimum": rules.RADIUS_MIN, "maximum": rules.RADIUS_MAX}
