"""Proof of presence beyond GPS (the rotating code on a screen at the spot) and offline
check-ins synced after the signal returns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts
from actions import presence, services
from actions.models import Action, CheckIn

from . import factories
from .conftest import assert_problem, post

pytestmark = pytest.mark.django_db(transaction=True)
SPOT = factories.SPOT
FAR = {"lat": 50.07, "lon": 19.95, "accuracy_m": 10}


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-5))


@pytest.fixture
def caller(db):
    user = factories.guest("Caller")
    return user, {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def checkin_of(api, action, headers, **body):
    answer = post(api, f"/api/v1/actions/{action.slug}/checkins", {"idempotency_key": "presence-01", **body}, headers)
    assert answer.status_code == 202, answer.content
    services.verify_pending(action.pk)
    return api.get(f"/api/v1/actions/{action.slug}/checkins/mine", headers=headers).json()


def test_codes_change_every_30_seconds_and_differ_between_actions(organizer):
    one, two = factories.action(organizer), factories.action(organizer)
    now = timezone.now()
    shown = presence.shown(one, now)
    assert len(shown.code) == 6 and shown.code.isdigit()
    assert presence.code_at(one, shown.step) != presence.code_at(one, shown.step + 1)
    assert presence.code_at(one, shown.step) != presence.code_at(two, shown.step)
    assert 0 < (shown.changes_at - now).total_seconds() <= presence.STEP_SECONDS


def test_a_code_alone_checks_in_with_method_code(api, live, caller):
    _, headers = caller
    code = presence.shown(live, timezone.now()).code
    verdict = checkin_of(api, live, headers, presence_code=f"{code[:3]} {code[3:]}")
    assert verdict["status"] == "verified" and verdict["method"] == "code"


def test_gps_and_code_together(api, live, caller):
    _, headers = caller
    code = presence.shown(live, timezone.now()).code
    verdict = checkin_of(api, live, headers, presence_code=code, **SPOT)
    assert verdict["status"] == "verified" and verdict["method"] == "gps+code"


def test_the_code_proves_presence_when_the_fix_is_off(api, live, caller):
    _, headers = caller
    code = presence.shown(live, timezone.now()).code
    verdict = checkin_of(api, live, headers, presence_code=code, **FAR)
    assert verdict["status"] == "verified" and verdict["method"] == "code"


def test_gps_alone_is_method_gps(api, live, caller):
    _, headers = caller
    assert checkin_of(api, live, headers, **SPOT)["method"] == "gps"


def test_a_code_older_than_a_minute_is_refused_as_expired(api, live, caller):
    _, headers = caller
    old = presence.code_at(live, presence.step_of(timezone.now()) - 3)
    verdict = checkin_of(api, live, headers, presence_code=old)
    assert verdict["status"] == "rejected" and verdict["reason"] == "code_expired"
    assert "more than a minute old" in verdict["detail"]


def test_the_previous_code_is_still_taken(api, live, caller):
    _, headers = caller
    previous = presence.code_at(live, presence.step_of(timezone.now()) - 1)
    assert checkin_of(api, live, headers, presence_code=previous)["status"] == "verified"


def test_another_actions_code_is_refused_as_wrong(api, live, caller, organizer):
    _, headers = caller
    other = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-5))
    theirs = presence.shown(other, timezone.now()).code
    assert theirs != presence.shown(live, timezone.now()).code
    verdict = checkin_of(api, live, headers, presence_code=theirs)
    assert verdict["status"] == "rejected" and verdict["reason"] == "code_wrong"
    assert "not this action's code" in verdict["detail"]


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_get_422(api, live, caller, code):
    _, headers = caller
    answer = post(
        api, f"/api/v1/actions/{live.slug}/checkins", {"idempotency_key": "bad-code-1", "presence_code": code}, headers
    )
    assert_problem(answer, 422)
    assert not CheckIn.objects.exists()


def test_without_location_or_code_the_answer_says_both(api, live, caller):
    _, headers = caller
    answer = post(api, f"/api/v1/actions/{live.slug}/checkins", {"idempotency_key": "nothing-01"}, headers)
    assert_problem(answer, 422)
    assert "code on the screen" in answer.json()["detail"]


def test_the_code_screen_needs_its_key(api, live):
    refused = api.get(f"/api/v1/actions/{live.slug}/presence-code?key=wrong")
    assert_problem(refused, 403, "forbidden")
    key = presence.screen_key(live)
    shown = api.get(f"/api/v1/actions/{live.slug}/presence-code?key={key}").json()
    assert shown["code"] == presence.shown(live, timezone.now()).code or shown["code"] == presence.code_at(
        live, presence.step_of(timezone.now()) - 1
    )
    assert shown["check_in_url"].endswith(f"/a/{live.slug}?presence={shown['code']}")
    assert api.get(f"/a/{live.slug}/presence.svg?key=wrong").status_code == 403
    qr = api.get(f"/a/{live.slug}/presence.svg?key={key}")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and "no-cache" in qr["Cache-Control"]


@pytest.mark.parametrize("key", ["ključ", "\u2028", "x" * 5000])
def test_any_wrong_key_is_a_403(api, live, key):
    assert_problem(api.get(f"/api/v1/actions/{live.slug}/presence-code", {"key": key}), 403, "forbidden")
    assert api.get(f"/a/{live.slug}/presence.svg", {"key": key}).status_code == 403


def test_keys_differ_between_actions(organizer):
    assert presence.screen_key(factories.action(organizer)) != presence.screen_key(factories.action(organizer))


# Offline check-ins: tapped with no signal, sent when it returns.


def end_now(action: Action, ago: timedelta) -> Action:
    return factories.move_clock(action, starts_in=-(timedelta(minutes=15) + ago))


def test_an_offline_check_in_synced_after_the_end_counts_as_synced_late(api, live, caller):
    user, headers = caller
    services.pledge(live, user)
    fixed_at = timezone.now() - timedelta(minutes=1)
    end_now(live, timedelta(seconds=30))  # the action ended 30 s ago; the fix was inside
    verdict = checkin_of(api, live, headers, fixed_at=fixed_at.isoformat(), **SPOT)
    assert verdict["status"] == "verified" and verdict["synced_late"] is True and verdict["method"] == "gps"
    assert "once you had signal" in verdict["detail"]
    row = CheckIn.objects.get()
    assert row.synced_late and row.fixed_at == fixed_at
    assert api.get(f"/api/v1/actions/{live.slug}/tally").json()["checked_in"] == 1


def test_an_offline_check_in_after_the_end_needs_a_pledge_made_in_time(api, live, caller):
    _, headers = caller
    fixed_at = timezone.now() - timedelta(minutes=1)
    end_now(live, timedelta(seconds=30))
    body = {"idempotency_key": "late-00001", "fixed_at": fixed_at.isoformat(), **SPOT}
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers), 409, "ended")


def test_a_fix_from_before_the_start_does_not_count(api, live, caller):
    user, headers = caller
    services.pledge(live, user)
    factories.move_clock(live, starts_in=timedelta(minutes=-20))
    before_start = timezone.now() - timedelta(minutes=25)
    verdict = checkin_of(api, live, headers, fixed_at=before_start.isoformat(), **SPOT)
    assert verdict["status"] == "rejected" and verdict["reason"] == "not_live"


def test_past_the_grace_period_an_offline_check_in_is_refused(api, live, caller):
    user, headers = caller
    services.pledge(live, user)
    end_now(live, timedelta(minutes=16))
    inside = timezone.now() - timedelta(minutes=20)
    verdict = checkin_of(api, live, headers, fixed_at=inside.isoformat(), **SPOT)
    assert verdict["status"] == "rejected" and verdict["reason"] == "not_live"


def test_a_fix_time_in_the_future_is_refused(api, live, caller):
    _, headers = caller
    later = (timezone.now() + timedelta(minutes=5)).isoformat()
    answer = post(
        api,
        f"/api/v1/actions/{live.slug}/checkins",
        {"idempotency_key": "future-01", "fixed_at": later, **SPOT},
        headers,
    )
    assert_problem(answer, 422)
    naive = timezone.now().replace(tzinfo=None).isoformat()
    answer = post(
        api,
        f"/api/v1/actions/{live.slug}/checkins",
        {"idempotency_key": "naive-001", "fixed_at": naive, **SPOT},
        headers,
    )
    assert_problem(answer, 422)


def test_an_offline_check_in_sent_twice_is_stored_once(api, live, caller):
    _, headers = caller
    body = {"idempotency_key": "offline-0001", "fixed_at": timezone.now().isoformat(), **SPOT}
    first = post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers)
    again = post(api, f"/api/v1/actions/{live.slug}/checkins", body, headers)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert CheckIn.objects.count() == 1


def test_a_retry_after_a_rejection_forgets_the_old_method(api, live, caller):
    _, headers = caller
    old = presence.code_at(live, presence.step_of(timezone.now()) - 5)
    assert checkin_of(api, live, headers, presence_code=old)["status"] == "rejected"
    answer = post(api, f"/api/v1/actions/{live.slug}/checkins", {"idempotency_key": "presence-02", **SPOT}, headers)
    assert answer.status_code == 202
    services.verify_pending(live.pk)
    row = CheckIn.objects.get()
    assert row.status == "verified" and row.method == "gps" and row.presence_code == ""


def test_the_console_and_results_say_how_people_were_verified(api, live, organizer):
    code = presence.shown(live, timezone.now()).code
    ways = [({**SPOT}, "gps"), ({"presence_code": code}, "code"), ({**SPOT, "presence_code": code}, "gps+code")]
    for n, (body, _) in enumerate(ways):
        person = factories.guest(f"P{n}")
        services.check_in(live, person, services.CheckInInput(f"how-{n:05}", **body))
    services.verify_pending(live.pk)
    api.force_login(organizer)
    funnel = api.get(f"/api/v1/actions/{live.slug}/funnel").json()
    assert funnel["verified_by"] == {"gps": 1, "code": 1, "gps+code": 1}
    page = api.get(f"/a/{live.slug}/results").content.decode()
    assert '<script id="verified-by" type="application/json">' in page and '"gps+code": 1' in page
