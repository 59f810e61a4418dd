"""Audit items 3 to 6: hostile text, deep JSON and huge integers get a clear 4xx at
every door and change nothing; in a group-committed batch they fail only themselves.
The 500s were PostgreSQL's (SQLite stores NUL and surrogates): CI runs this there."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from actions import doors, schemas, services
from actions.models import Action, Announcement, CheckIn
from actions.services import CheckInInput
from common import inputs
from common.errors import ServiceError

from . import factories
from .conftest import assert_problem, call, post
from .factories import SPOT, action_body, live_action_and_token

pytestmark = pytest.mark.django_db(transaction=True)

NUL = "bad\x00text"
SURROGATE = "bad\ud800text"
# A lone surrogate cannot be encoded as UTF-8: it only arrives as a JSON escape.
HOSTILE_JSON = [json.dumps(NUL), '"bad\\ud800text"']
DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000


def live_action() -> Action:
    return factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=-1))


def body_with(field_json: str, **fields: object) -> str:
    """A JSON object whose `text` member is written raw (so escapes survive)."""
    return json.dumps(fields)[:-1] + (", " if fields else "") + f'"text": {field_json}}}'


def test_a_poisoned_key_fails_only_its_own_check_in() -> None:
    action = live_action()
    people = [factories.guest(f"P{n}") for n in range(6)]
    keys = ["good-key-0", NUL + "12345", "good-key-2", SURROGATE + "12345", "good-key-4", "good-key-5"]
    entries = [(person, CheckInInput(key, *SPOT.values())) for person, key in zip(people, keys, strict=True)]
    results = services.check_in_many(action, entries)
    for key, result in zip(keys, results, strict=True):
        if key.startswith("good"):
            assert not isinstance(result, ServiceError), result
        else:
            assert isinstance(result, ServiceError) and result.status == 422 and result.code == "invalid_text"
    assert sorted(CheckIn.objects.values_list("idempotency_key", flat=True)) == sorted(
        k for k in keys if k.startswith("good")
    )


def test_a_poisoned_call_in_a_group_commit_batch_fails_alone() -> None:
    action = live_action()
    calls = []
    for n in range(8):
        key = NUL + "-12345" if n == 3 else f"batch-key-{n}"
        payload = schemas.CheckInIn(idempotency_key=key, **SPOT)
        calls.append(doors.CheckInCall(action.slug, payload, user=factories.guest(f"B{n}")))
    answers = doors.check_in_batch(calls)
    assert [a.status if isinstance(a, ServiceError) else a[0] for a in answers] == [202] * 3 + [422] + [202] * 4
    assert CheckIn.objects.count() == 7


@pytest.mark.parametrize("text", HOSTILE_JSON)
def test_hostile_text_in_json_bodies_is_refused(api: Client, bearer, text: str) -> None:
    user, headers = bearer
    action = factories.action(user)
    cases = [
        ("/api/v1/guests", body_with(text)[:-1].replace('"text"', '"name"') + "}"),
        ("/api/v1/actions", json.dumps(action_body())[:-1] + f', "place_name": {text}}}'),
        (f"/api/v1/actions/{action.slug}/messages", body_with(text)),
        (f"/api/v1/actions/{action.slug}/pledges", '{"ref": ' + text + "}"),
    ]
    for field in ("title", "deed"):
        body = action_body()
        del body[field]
        cases.append(("/api/v1/actions", json.dumps(body)[:-1] + f', "{field}": {text}}}'))
    for path, raw in cases:
        assert_problem(post(api, path, raw=raw, headers=headers), 422, "invalid_text")
    assert Action.objects.count() == 1 and not Announcement.objects.exists()
    assert Profile.objects.count() == 1  # no guest was made


@pytest.mark.parametrize("text", HOSTILE_JSON)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "str"])
def test_the_json_reader_refuses_hostile_text_in_every_encoding_it_reads(text: str, encoding: str) -> None:
    """inputs.loads skips its walk of the tree when the text alone shows it is fine: the
    skip must never let a NUL or a lone surrogate through, nor depth past the limit."""
    body = '{"name": "ok", "list": [1, {"text": ' + text + "}]}"
    data = body if encoding == "str" else body.encode(encoding)
    with pytest.raises(ServiceError) as refused:
        inputs.loads(data)
    assert refused.value.code == "invalid_text"
    assert inputs.loads(body.replace(text, '"fine \\u00e9"').encode()) == {
        "name": "ok",
        "list": [1, {"text": "fine é"}],
    }


def test_the_json_reader_counts_depth_whether_or_not_it_walks() -> None:
    limit = inputs.MAX_DEPTH
    assert inputs.loads(b"[" * limit + b"]" * limit) is not None
    assert inputs.loads(b"[" + b"[]," * 40 + b"[]]") == [[]] * 41  # many brackets, shallow: walked, fine
    for deep in (b"[" * (limit + 1) + b"]" * (limit + 1), ("[" * (limit + 1) + "]" * (limit + 1)).encode("utf-16")):
        with pytest.raises(ServiceError) as refused:
            inputs.loads(deep)
        assert refused.value.code == "invalid_json"


@pytest.mark.parametrize("path", ["/api/v1/join/AB%00CD", "/api/v1/actions/x%00y/tally", "/api/v1/users/a%00b/follow"])
def test_nul_in_an_api_address_is_a_400(api: Client, bearer, path: str) -> None:
    _, headers = bearer
    response = api.get(path, headers=headers) if "follow" not in path else post(api, path, headers=headers)
    assert_problem(response, 400, "invalid_text")


def test_nul_in_page_forms_is_refused(organizer) -> None:
    client = Client()
    client.force_login(organizer)
    action = factories.action(organizer)
    assert client.post(f"/a/{action.slug}/join", {"name": NUL}).status_code == 400
    form = {"title": NUL, "deed": "Pick up litter", "anywhere": "on", "starts_at": "2030-01-01T10:00"}
    assert client.post("/launch/", {**form, "duration_minutes": 15, "goal": 5}).status_code == 400
    assert Action.objects.count() == 1


@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT])
@pytest.mark.parametrize("what", ["checkins", "pledges"])
def test_deep_json_is_a_400_at_both_doors(api: Client, raw: bytes, what: str) -> None:
    action, token = asyncio.run(live_action_and_token())
    status, body, _ = asyncio.run(call(f"/api/v1/actions/{action.slug}/{what}", token, raw))
    assert (status, body["error"]) == (400, "invalid_json")
    user = factories.member("browser")
    api.force_login(user)
    # Through Django (a browser session) the same answer; CSRF is checked first there.
    response = api.post(
        f"/api/v1/actions/{action.slug}/{what}",
        data=raw,
        content_type="application/json",
        headers={"X-CSRFToken": "x"},
    )
    assert response.status_code in (400, 403) and set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("capacity", 2**31), ("goal", 2**31), ("radius_m", 2**31), ("duration_minutes", 2**31), ("capacity", 2**63)],
)
def test_integers_past_what_the_database_stores_are_refused(api: Client, bearer, field: str, value: int) -> None:
    _, headers = bearer
    assert_problem(post(api, "/api/v1/actions", action_body(**{field: value}), headers), 422)
    assert not Action.objects.exists()


def test_the_launch_form_bounds_capacity(organizer) -> None:
    client = Client()
    client.force_login(organizer)
    start = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"title": "T", "deed": "D", "anywhere": "on", "starts_at": start, "duration_minutes": 15, "goal": 5}
    page = client.post("/launch/", {**form, "capacity": 2**31})
    assert page.status_code == 200 and b"capacity" in page.content.lower()
    assert not Action.objects.exists()


@pytest.mark.parametrize("coordinates", [{"lat": True, "lon": 19.9}, {"lat": 50.0, "lon": "19.9"}])
def test_booleans_and_strings_are_not_coordinates(api: Client, bearer, coordinates: dict) -> None:
    _, headers = bearer
    action = live_action()
    body = {**SPOT, **coordinates, "idempotency_key": "coords-0001"}
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/checkins", body, headers), 422)
    assert not CheckIn.objects.exists()


def test_null_and_empty_bodies_are_read_as_no_body(api: Client, bearer) -> None:
    _, headers = bearer
    action = factories.action(factories.member("olga"))
    assert post(api, f"/api/v1/actions/{action.slug}/pledges", raw="null", headers=headers).status_code == 201
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/checkins", raw="", headers=headers), 422, "invalid")


@pytest.mark.asyncio
async def test_a_deeply_nested_frame_gets_an_error_and_the_socket_stays(transactional_db) -> None:
    from .conftest import connected

    action = await sync_to_async(live_action)()
    ws = await connected(f"/ws/actions/{action.slug}/")
    assert (await ws.receive_json_from(timeout=5))["type"] == "snapshot"
    for frame in ["[" * 2000 + "]" * 2000, '{"type": "ping", "client_time": "\\ud800"}', '{"type": NaN}']:
        await ws.send_to(text_data=frame)
        reply = await ws.receive_json_from(timeout=5)
        assert reply["type"] == "error" and reply["code"] in ("bad_json", "invalid_text")
    await ws.send_json_to({"type": "ping", "client_time": 1})
    assert (await ws.receive_json_from(timeout=5))["type"] == "pong"
    await ws.disconnect()


def test_a_broken_multipart_body_is_a_clear_4xx(api: Client) -> None:
    response = api.generic("POST", "/api/v1/guests", b"--x\r\n", content_type="multipart/form-data")
    assert 400 <= response.status_code < 500
