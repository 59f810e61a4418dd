"""Signed webhooks: registration and its refusals, deliveries received by a local HTTP
server and verified with `standardwebhooks`, retries, a slow receiver, redirects, and an
endpoint turned off after failing."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts import services as accounts
from actions import events
from actions import services as actions
from actions.models import CheckIn
from webhooks import listeners, services
from webhooks.models import Delivery, Endpoint

from . import factories
from .conftest import assert_problem, post, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A local HTTP server: records each request, answers with the next planned status
    (then 200), and can be told to stall."""

    def __init__(self) -> None:
        self.got: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.plan: list[int | str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.put(({k.lower(): v for k, v in self.headers.items()}, body))
                step = receiver.plan.pop(0) if receiver.plan else 200
                if step == "stall":
                    threading.Event().wait(10)  # a receiver that never answers in time
                    return
                self.send_response(int(step))
                if step == 302:
                    self.send_header("Location", "http://example.com/elsewhere")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?from=goodmob"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 20) -> tuple[dict[str, str], bytes]:
        return self.got.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()


def _as(user):
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def _register(api, user, url, events=("action.launched",)):
    return post(api, "/api/v1/webhooks", {"url": url, "events": list(events)}, _as(user) if user else None)


def test_register_list_and_remove(api, receiver):
    owner, other = factories.member("olga"), factories.member("stan")
    made = _register(api, owner, receiver.url, ["deed.completed", "action.launched"])
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["action.launched", "deed.completed"]
    listed = api.get("/api/v1/webhooks", headers=_as(owner)).json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert api.get("/api/v1/webhooks", headers=_as(other)).json() == []
    # Other people's endpoints do not exist for you.
    assert_problem(api.delete(f"/api/v1/webhooks/{body['id']}", headers=_as(other)), 404)
    assert_problem(api.get(f"/api/v1/webhooks/{body['id']}/deliveries", headers=_as(other)), 404)
    assert_problem(post(api, f"/api/v1/webhooks/{body['id']}/deliveries/1/retry", {}, _as(other)), 404)
    exported = api.get("/api/v1/me/export", headers=_as(owner)).json()["webhooks"]
    assert [e["url"] for e in exported] == [receiver.url] and body["secret"] not in json.dumps(exported)
    assert api.delete(f"/api/v1/webhooks/{body['id']}", headers=_as(owner)).status_code == 204
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "events", "code"),
    [
        ("not a url", ["action.launched"], None),
        ("ftp://example.com/hook", ["action.launched"], None),
        ("https://user:pw@example.com/hook", ["action.launched"], None),
        ("https://no-such-host.invalid/hook", ["action.launched"], "unresolvable"),
        ("https://example.com/hook", ["action.exploded"], None),
        ("https://example.com/hook", [], None),
        ("https://example.com/hook", "action.launched", None),
    ],
)
def test_bad_registrations_are_422(api, url, events, code):
    assert_problem(_register(api, factories.member("olga"), url, events), 422, code)
    assert not Endpoint.objects.exists()


def test_private_addresses_and_plain_http_are_refused_outside_tests(api, settings, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    owner = factories.member("olga")
    assert_problem(_register(api, owner, receiver.url), 422)  # http
    for url in ("https://127.0.0.1/hook", "https://[::1]/hook", "https://169.254.169.254/latest", "https://10.0.0.7/"):
        assert_problem(_register(api, owner, url), 422, "refused_address")
    assert_problem(_register(api, None, "https://example.com/hook"), 401)
    assert not Endpoint.objects.exists()


def test_a_launch_is_delivered_signed(api, receiver, celery_worker):
    owner = factories.member("olga")
    secret = _register(api, owner, receiver.url).json()["secret"]
    action = factories.action(owner, title="Bench wipe-down")
    headers, body = receiver.next()
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "action.launched" and payload["data"]["action"]["slug"] == action.slug
    assert headers["webhook-id"].startswith("msg_")
    with pytest.raises(Exception):  # noqa: B017 (the library's own verification error)
        Webhook(secret).verify(body.replace(b"Bench", b"Fake!"), headers)
    assert wait_for(lambda: Delivery.objects.get().status == "delivered")
    log = api.get(f"/api/v1/webhooks/{Endpoint.objects.get().pk}/deliveries", headers=_as(owner)).json()
    assert log[0]["status"] == "delivered" and log[0]["attempts"] == 1 and log[0]["last_status_code"] == 200


def test_a_failed_delivery_is_retried_with_the_same_id_then_replayed(api, receiver, celery_worker):
    owner = factories.member("olga")
    endpoint_id = _register(api, owner, receiver.url).json()["id"]
    receiver.plan = [500, 503]
    factories.action(owner)
    ids = [receiver.next()[0]["webhook-id"] for _ in range(3)]
    assert len(set(ids)) == 1
    assert wait_for(lambda: Delivery.objects.get().status == "delivered")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3 and Endpoint.objects.get().failures == 0
    replayed = post(api, f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.pk}/retry", {}, _as(owner))
    assert replayed.status_code == 202
    assert receiver.next()[0]["webhook-id"] == ids[0]


def test_no_location_in_checkins_and_each_milestone_once(api, receiver, celery_worker):
    owner = factories.member("olga")
    _register(api, owner, receiver.url, ["checkin.verified", "deed.completed", "milestone.reached"])
    action = factories.move_clock(factories.action(owner, goal=2), starts_in=-timedelta(minutes=1))
    for n in range(3):
        person = factories.guest(f"P{n}")
        actions.check_in(action, person, actions.CheckInInput(f"key-{n:06d}", **factories.SPOT))
        actions.verify_pending(action.pk)
        # The worker verifies too and may hold this batch: wait for its verdict.
        assert wait_for(lambda p=person: CheckIn.objects.filter(pledge__user=p, status="verified").exists())
        actions.mark_deed_done(action, person)
    seen = [json.loads(receiver.next()[1]) for _ in range(10)]
    kinds = sorted(p["type"] for p in seen)
    assert kinds.count("checkin.verified") == 3 and kinds.count("deed.completed") == 3
    assert sorted(p["data"]["percent"] for p in seen if p["type"] == "milestone.reached") == [25, 50, 75, 100]
    text = json.dumps([p for p in seen if p["type"] == "checkin.verified"])
    assert "lat" not in text and "lon" not in text and "cell" not in text


def test_a_slow_receiver_or_a_redirect_cannot_hold_a_worker(api, receiver, settings):
    settings.GOODMOB = {**settings.GOODMOB, "WEBHOOK_TIMEOUT_SECONDS": 1.0}
    owner = factories.member("olga")
    _register(api, owner, receiver.url)
    receiver.plan = ["stall", 302]
    factories.action(owner)
    delivery = Delivery.objects.get()
    started = time.monotonic()
    assert services.deliver(delivery.pk) == "pending"
    assert time.monotonic() - started < 3
    assert services.deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 302 and delivery.next_attempt_at is not None


def test_an_endpoint_that_keeps_failing_is_turned_off_and_its_owner_told(api, receiver, settings):
    settings.GOODMOB = {**settings.GOODMOB, "WEBHOOK_DISABLE_AFTER": 2}
    owner = factories.member("olga")
    owner.email = "olga@example.org"
    owner.save()
    _register(api, owner, receiver.url)
    receiver.plan = [500, 500]
    factories.action(owner)
    delivery = Delivery.objects.get()
    services.deliver(delivery.pk)
    services.deliver(delivery.pk)
    endpoint = Endpoint.objects.get()
    assert not endpoint.active and "2 failed attempts" in endpoint.disabled_reason
    assert mail.outbox and mail.outbox[0].to == ["olga@example.org"]
    assert services.deliver(delivery.pk) is None or Delivery.objects.get().status == "failed"


def test_deliveries_whose_task_was_lost_are_queued_again(api, receiver, celery_worker):
    owner = factories.member("olga")
    _register(api, owner, receiver.url)
    endpoint = Endpoint.objects.get()
    # As if the broker had been down when it was queued: a row, and no task.
    old = timezone.now() - timedelta(minutes=5)
    lost = Delivery.objects.create(endpoint=endpoint, webhook_id="msg_lost", event="action.launched", payload="{}")
    Delivery.objects.filter(pk=lost.pk).update(created_at=old)
    Delivery.objects.create(endpoint=endpoint, webhook_id="msg_fresh", event="action.launched", payload="{}")
    assert services.requeue_due() == 1
    assert receiver.next()[0]["webhook-id"] == "msg_lost"


def test_an_event_nobody_listens_to_costs_one_query(action, django_assert_num_queries):
    with django_assert_num_queries(1):
        listeners.deed_done(events.DeedDone(action.pk, checkin_id=1))
