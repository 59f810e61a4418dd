"""Alerts: Web Push against a local push service speaking the real protocol (the payload
decrypted here with the browser's keys, the VAPID signature checked), email through
Django's locmem backend, reminders, changes and nudges at most once per person, kind and
action, preferences and unsubscribing, and the refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Profile
from actions import services as actions
from actions.models import Action
from alerts import push, services, triggers
from alerts.models import Alert, AlertSettings, Kind, PushSubscription, Whereabouts
from social import services as social

from . import factories
from .conftest import assert_problem, post, wait_for
from .pushing import Browser, PushService, unb64

pytestmark = pytest.mark.django_db(transaction=True)


def _as(user):
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def _check_vapid(headers: dict[str, str], origin: str) -> None:
    """The Authorization header is a VAPID JWT for this push service, signed by our key."""
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == push.public_key()
    head, claims, signature = fields["t"].split(".")
    assert json.loads(unb64(claims))["aud"] == origin
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))


def test_a_follower_gets_an_encrypted_signed_push_when_a_launch_happens(api, vapid, push_service, celery_worker):
    organizer, follower = factories.member("olga"), factories.member("finn")
    browser = Browser(push_service, "finn")
    made = post(api, "/api/v1/me/push-subscriptions", browser.subscription(), _as(follower))
    assert made.status_code == 201, made.content
    social.follow(follower, organizer)
    action = factories.action(organizer, title="Bench wipe-down")
    path, headers, body = push_service.next()
    assert path == "/push/finn"
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
    _check_vapid(headers, push_service.origin)
    alert = browser.decrypt(body)
    assert alert["kind"] == "followed_launch" and "Bench wipe-down" in alert["title"]
    assert alert["url"] == f"http://testserver/a/{action.slug}"
    assert alert["off_url"].startswith("http://testserver/alerts/off/")
    row = wait_for(lambda: Alert.objects.filter(user=follower, sent_at__isnull=False, pushed=1).first())
    assert row.kind == Kind.FOLLOWED_LAUNCH
    # The organizer has no subscription and nobody else follows: one push, no more.
    assert push_service.got.empty()


def test_an_expired_subscription_is_removed(api, vapid, push_service):
    person = factories.member("finn")
    post(api, "/api/v1/me/push-subscriptions", Browser(push_service, "finn").subscription(), _as(person))
    push_service.answer = 410
    sent = push.send(PushSubscription.objects.get(), {"title": "t", "body": "b"})
    assert sent.gone and not PushSubscription.objects.exists()


def _pledged_with_email(action: Action, name: str) -> Any:
    person = factories.member(name)
    person.email = f"{name}@example.org"
    person.save(update_fields=["email"])
    Profile.objects.filter(user=person).update(email_verified=True)
    services.set_preferences(person, email=True)
    actions.pledge(action, person)
    return person


def test_the_reminder_goes_by_email_once_and_its_link_turns_reminders_off(api, celery_worker):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=8))
    person = _pledged_with_email(action, "erin")
    unconfirmed = factories.member("uma")
    unconfirmed.email = "uma@example.org"
    unconfirmed.save(update_fields=["email"])
    services.set_preferences(unconfirmed, email=True)
    actions.pledge(action, unconfirmed)
    assert triggers.sweep_reminders() == 1
    assert triggers.sweep_reminders() == 0  # once per action
    assert wait_for(lambda: len(mail.outbox) == 1)
    sent = mail.outbox[0]
    assert sent.to == ["erin@example.org"] and "starts in 10 minutes" in sent.subject
    assert f"http://testserver/a/{action.slug}" in sent.body
    off = sent.extra_headers["List-Unsubscribe"].strip("<>")
    assert off in sent.body and sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = off.removeprefix("http://testserver")
    page = api.get(path)
    assert page.status_code == 200 and b"Turn them off" in page.content
    assert AlertSettings.objects.get(user=person).reminders  # a GET (a mail scanner) changes nothing
    assert api.post(path).status_code == 200
    assert not AlertSettings.objects.get(user=person).reminders
    assert api.post(path.replace("/off/", "/off/x")).status_code == 400
    assert services.issue(Kind.GO, action.pk, [person.pk]) == 0  # GO obeys "reminders" too


def test_each_kind_reaches_a_person_once(vapid, push_service):
    action = factories.action(factories.member("olga"))
    person = factories.member("finn")
    push.subscribe(person, **{k: v for k, v in _flat(Browser(push_service, "finn").subscription()).items()})
    actions.pledge(action, person)
    assert services.issue(Kind.CANCELLED, action.pk, [person.pk]) == 1
    assert services.issue(Kind.CANCELLED, action.pk, [person.pk]) == 0
    assert services.issue(Kind.LEAD_CHANGED, action.pk, [person.pk]) == 1
    assert Alert.objects.filter(user=person).count() == 2


def _flat(subscription: dict[str, Any]) -> dict[str, str]:
    return {"endpoint": subscription["endpoint"], **subscription["keys"]}


def _subscribed(service: PushService, name: str) -> Any:
    person = factories.member(name)
    push.subscribe(person, **_flat(Browser(service, name).subscription()))
    return person


def test_changes_reach_pledgers_at_once(api, vapid, push_service, celery_worker):
    lead = factories.member("olga")
    co = factories.member("cora")
    action = factories.action(lead)
    actions.invite(action, lead, "cora")
    actions.accept_invitation(action, co)
    people = [_subscribed(push_service, f"p{n}") for n in range(2)]
    for person in people:
        actions.pledge(action, person)
    moved = post(
        api,
        f"/api/v1/actions/{action.slug}/reschedule",
        {"starts_at": (timezone.now() + timedelta(hours=2)).isoformat()},
        _as(lead),
    )
    assert moved.status_code == 200, moved.content
    actions.hand_lead(action, lead, "cora")
    kinds = lambda: sorted(Alert.objects.filter(sent_at__isnull=False).values_list("kind", flat=True))  # noqa: E731
    assert wait_for(lambda: kinds() == ["lead_changed"] * 2 + ["time_changed"] * 2), kinds()
    action.refresh_from_db()
    actions.cancel_action(action, co)
    assert wait_for(lambda: Alert.objects.filter(kind=Kind.CANCELLED, sent_at__isnull=False).count() == 2)
    assert wait_for(lambda: push_service.got.qsize() == 6)


def test_a_raid_alerts_the_crowd_not_yet_at_the_target(vapid, push_service, celery_worker):
    organizer = factories.member("olga")
    source = factories.move_clock(factories.action(organizer), starts_in=-timedelta(minutes=5))
    target = factories.action(factories.member("tess"), title="Next one")
    stays, moved = _subscribed(push_service, "stays"), _subscribed(push_service, "moved")
    for person in (stays, moved):
        actions.pledge(source, person)
    actions.pledge(target, moved)
    actions.raid(source, organizer, target.slug)
    _, _, body = push_service.next()
    assert Alert.objects.filter(kind=Kind.RAID).get().user == stays
    assert Browser is not None and body  # encrypted; decrypting is the first test's job


def test_the_nudge_says_minutes_and_metres_to_the_near_only(api, vapid, push_service):
    action = factories.move_clock(
        factories.action(factories.member("olga")), starts_in=-timedelta(minutes=11), duration=timedelta(minutes=15)
    )
    near, far, arrived = (_subscribed(push_service, n) for n in ("near", "far", "arrived"))
    for person in (near, far, arrived):
        actions.pledge(action, person)
    for person, lat in ((near, 50.0644), (far, 50.25), (arrived, 50.0617)):
        assert (
            api.put(
                f"/api/v1/actions/{action.slug}/whereabouts",
                {"lat": lat, "lon": 19.9373},
                headers=_as(person),
                content_type="application/json",
            ).status_code
            == 204
        )
    actions.check_in(action, arrived, actions.CheckInInput("key-arrived-1", **factories.SPOT))
    actions.sync_phase(action.pk)
    assert triggers.sweep_nudges() == 1
    assert triggers.sweep_nudges() == 0
    nudge = Alert.objects.get(kind=Kind.NUDGE)
    assert nudge.user == near
    assert nudge.text.startswith("3 minutes left, the spot is ") and nudge.text.endswith(" m away")
    # 300 m as the crow flies, give or take the cell (about 175 m from middle to corner).
    assert 100 <= int(nudge.text.split()[-3].replace(",", "")) <= 500
    assert set(Whereabouts.objects.values_list("cell", flat=True)) and "50.06" not in json.dumps(
        list(Whereabouts.objects.values("cell"))
    )


def test_whereabouts_are_only_for_pledgers_and_dropped_after_the_end(api):
    action = factories.live_action()
    person = factories.member("finn")
    url = f"/api/v1/actions/{action.slug}/whereabouts"
    body = {"lat": 50.06, "lon": 19.93}
    assert_problem(api.put(url, body, headers=_as(person), content_type="application/json"), 404, "not_pledged")
    actions.pledge(action, person)
    assert api.put(url, body, headers=_as(person), content_type="application/json").status_code == 204
    # Out of range, a boolean or a numeric string is not a coordinate (schemathesis sent lon: false).
    for bad in ({"lat": 91, "lon": 0}, {"lat": 0.0, "lon": False}, {"lat": "50.06", "lon": 19.93}):
        assert_problem(api.put(url, bad, headers=_as(person), content_type="application/json"), 422)
    assert api.get("/api/v1/me/export", headers=_as(person)).json()["whereabouts"][0]["action"] == action.slug
    factories.move_clock(action, starts_in=-timedelta(minutes=30))
    triggers.sweep_nudges()
    assert not Whereabouts.objects.exists()


def test_preferences_and_push_key(api, settings):
    person = factories.member("finn")
    settings.VAPID_PRIVATE_KEY = ""
    assert_problem(api.get("/api/v1/push/key"), 404, "push_off")
    got = api.get("/api/v1/me/alerts", headers=_as(person)).json()
    assert got["reminders"] and not got["email"] and got["push_subscriptions"] == 0 and not got["email_confirmed"]
    changed = api.patch("/api/v1/me/alerts", {"nudges": False}, headers=_as(person), content_type="application/json")
    assert changed.status_code == 200 and changed.json()["nudges"] is False
    for bad in ({}, {"nudges": "no"}, {"sms": True}, {"nudges": None}):
        assert_problem(api.patch("/api/v1/me/alerts", bad, headers=_as(person), content_type="application/json"), 422)
    assert_problem(api.get("/api/v1/me/alerts"), 401)


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "ftp://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}},
        {"endpoint": "https://push.example/x"},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "A" * 87}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}},  # not a point
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "!" * 87, "auth": "A" * 22}},
        {"endpoint": 7, "keys": {}},
        [],
    ],
)
def test_malformed_subscriptions_are_refused(api, body):
    assert_problem(post(api, "/api/v1/me/push-subscriptions", body, _as(factories.member("finn"))), 422)
    assert not PushSubscription.objects.exists()


def test_subscriptions_on_private_networks_are_refused_outside_tests(api, settings, push_service):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    person = factories.member("finn")
    good = Browser(push_service, "finn").subscription()
    for endpoint in (good["endpoint"], "https://127.0.0.1/push", "https://10.1.2.3/push", "https://[::1]/p"):
        refused = post(api, "/api/v1/me/push-subscriptions", {**good, "endpoint": endpoint}, _as(person))
        assert_problem(refused, 422)
    assert_problem(post(api, "/api/v1/me/push-subscriptions", good, None), 401)
    assert not PushSubscription.objects.exists()


def test_a_browser_moves_to_whoever_signs_in_and_unsubscribes(api, push_service):
    first, second = factories.member("finn"), factories.member("gail")
    sub = Browser(push_service, "shared").subscription()
    post(api, "/api/v1/me/push-subscriptions", sub, _as(first))
    post(api, "/api/v1/me/push-subscriptions", sub, _as(second))
    assert list(PushSubscription.objects.values_list("user__username", flat=True)) == ["gail"]
    gone = api.generic(
        "DELETE",
        "/api/v1/me/push-subscriptions",
        json.dumps({"endpoint": sub["endpoint"]}),
        content_type="application/json",
        headers=_as(first),
    )
    assert gone.status_code == 204 and PushSubscription.objects.count() == 1  # not first's to remove
    api.generic(
        "DELETE",
        "/api/v1/me/push-subscriptions",
        json.dumps({"endpoint": sub["endpoint"]}),
        content_type="application/json",
        headers=_as(second),
    )
    assert not PushSubscription.objects.exists()


def test_alerts_speak_the_language_the_person_last_used(client, celery_worker):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=8))
    polish = _pledged_with_email(action, "zosia")
    _pledged_with_email(action, "erin")  # no language chosen: English
    client.force_login(polish)
    client.post("/i18n/setlang/", {"language": "pl", "next": "/"})
    polish.profile.refresh_from_db()
    assert polish.profile.language == "pl"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # not a language of the site: kept
    polish.profile.refresh_from_db()
    assert polish.profile.language == "pl"
    assert triggers.sweep_reminders() == 2  # alerts issued: one each
    assert wait_for(lambda: len(mail.outbox) == 2)
    subjects = {sent.to[0]: sent for sent in mail.outbox}
    assert "za 10 minut" in subjects["zosia@example.org"].subject
    assert "Otwórz" in subjects["zosia@example.org"].body
    assert "starts in 10 minutes" in subjects["erin@example.org"].subject


def test_joining_from_a_polish_page_remembers_polish(client, action):
    client.get(f"/a/{action.slug}", HTTP_ACCEPT_LANGUAGE="pl")
    client.post(f"/a/{action.slug}/join", {"name": "Ola"}, HTTP_ACCEPT_LANGUAGE="pl")
    from accounts.models import Profile

    assert Profile.objects.get(display_name="Ola").language == "pl"
