"""Reports from anyone, decisions by moderators: hide at once (screens told, writes 410),
restore, rename, suspend; every decision logged with who and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import Client

from accounts import services as accounts
from actions import selectors, services
from actions.models import Action
from common.errors import Invalid
from moderation import selectors as queue
from moderation import services as moderation
from moderation.models import Decision, Report

from . import factories
from .conftest import assert_problem, call, connected, next_of_type, post
from .factories import SPOT

PASSWORD = "a-long-test-password"


def moderator() -> User:
    user = accounts.create_member("mona", PASSWORD, "Mona")
    user.user_permissions.add(Permission.objects.get(codename="moderate"))
    return User.objects.get(pk=user.pk)  # permissions are cached per instance


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


def test_one_report_per_person_per_target(action, api):
    reporter = factories.member("rita")
    first = post(
        api, f"/api/v1/actions/{action.slug}/reports", {"reason": "spam", "detail": "A scam"}, bearer(reporter)
    )
    again = post(api, f"/api/v1/actions/{action.slug}/reports", {"reason": "hate"}, bearer(reporter))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Report.objects.count() == 1
    person = post(
        api, f"/api/v1/users/{action.organizer.profile.handle}/reports", {"reason": "offensive_name"}, bearer(reporter)
    )
    assert person.status_code == 201


def test_bad_reports_and_non_moderators_are_refused(action, api):
    reporter = factories.member("rita")
    headers = bearer(reporter)
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/reports", {"reason": "boring"}, headers), 422)
    assert_problem(post(api, "/api/v1/actions/nope/reports", {"reason": "spam"}, headers), 404)
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/reports", {"reason": "spam"}), 401)
    assert_problem(post(api, "/api/v1/users/rita/reports", {"reason": "other"}, headers), 409, "self_report")
    long = {"reason": "other", "detail": "x" * 501}
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/reports", long, headers), 422)
    assert_problem(post(api, f"/api/v1/moderation/actions/{action.slug}/hide", {"reason": "no"}, headers), 403)
    assert_problem(api.get("/api/v1/moderation/queue", headers=headers), 403)
    assert Client().get("/moderation/").status_code == 302
    client = Client()
    client.force_login(reporter)
    assert client.get("/moderation/").status_code == 403
    assert not Action.objects.get(pk=action.pk).is_hidden


def test_queue_puts_the_most_urgent_first(organizer):
    quiet, busy = factories.action(organizer, title="Quiet"), factories.action(organizer, title="Busy")
    for n in range(3):
        services.pledge(busy, factories.guest(f"P{n}"))
    for n, target in enumerate([quiet, busy]):
        moderation.report_action(factories.member(f"r{n}"), target, "spam")
    moderation.report_action(factories.member("r9"), busy, "danger", "They want people on a motorway")
    cases = queue.queue()
    assert [case.action.title for case in cases] == ["Busy", "Quiet"]
    assert cases[0].reports == 2 and cases[0].pledged == 3 and cases[0].reasons == {"spam": 1, "danger": 1}


@pytest.mark.django_db(transaction=True)  # the hot endpoints read on their own threads
def test_hide_refuses_writes_with_410_and_logs_the_decision(organizer, api):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    organizer.email = "olga@example.org"
    organizer.save()
    fan = factories.guest("Fan")
    services.pledge(live, fan)
    moderation.report_action(factories.member("rita"), live, "danger")
    mona = moderator()
    answer = post(api, f"/api/v1/moderation/actions/{live.slug}/hide", {"reason": "Unsafe place"}, bearer(mona))
    assert answer.status_code == 201 and answer.json()["kind"] == "hide"

    headers = bearer(fan)
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/pledges", {}, bearer(factories.guest())), 410, "hidden")
    assert_problem(
        post(api, f"/api/v1/actions/{live.slug}/checkins", {**SPOT, "idempotency_key": "hid-0001"}, headers), 410
    )
    assert_problem(post(api, f"/api/v1/actions/{live.slug}/deeds", {}, headers), 410)
    assert_problem(api.get(f"/api/v1/actions/{live.slug}"), 410, "hidden")
    assert Client().get(f"/a/{live.slug}").status_code == 410
    assert live.slug not in [a.slug for a in selectors.open_actions()]
    decision = Decision.objects.get()
    assert (decision.moderator, decision.kind, decision.reason) == (mona, "hide", "Unsafe place")
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    assert "Unsafe place" in mail.outbox[-1].body and mail.outbox[-1].to == ["olga@example.org"]

    moderation.restore(live, mona, "Moved to a safe place")
    assert post(api, f"/api/v1/actions/{live.slug}/pledges", {}, bearer(factories.guest())).status_code == 201
    assert [d.kind for d in Decision.objects.order_by("created_at")] == ["hide", "restore"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_every_open_screen_is_told_at_once():
    action = await sync_to_async(factories.action)(await sync_to_async(factories.member)("olga"))
    ws = await connected(f"/ws/actions/{action.slug}/")
    assert (await ws.receive_json_from(timeout=5))["type"] == "snapshot"
    mona = await sync_to_async(moderator)()
    await sync_to_async(moderation.hide)(action, mona, "Not what it says")
    told = await next_of_type(ws, "moderated")
    assert told["why"] == "Not what it says" and "410" not in told["detail"]
    late = await connected(f"/ws/actions/{action.slug}/")
    assert (await late.receive_json_from(timeout=5))["type"] == "moderated"  # newcomers too
    status, body, _ = await call(
        f"/api/v1/actions/{action.slug}/pledges", await sync_to_async(accounts.issue_token)(mona)
    )
    assert (status, body["error"]) == (410, "hidden")
    await ws.disconnect()
    await late.disconnect()


def test_rename_and_suspend(organizer, api):
    mona, rude = moderator(), factories.member("rude")
    key = accounts.issue_token(rude)
    session = Client()
    session.force_login(rude)
    moderation.rename(rude, "Renamed person", mona, "Slur in the name")
    rude.profile.refresh_from_db()
    assert rude.profile.display_name == "Renamed person"
    post(api, "/api/v1/moderation/users/rude/suspend", {"reason": "Repeated abuse"}, bearer(mona))
    assert accounts.user_for_token(key) is None
    assert session.get("/account/").status_code == 302
    assert [d.kind for d in Decision.objects.order_by("created_at")] == ["rename", "suspend"]
    assert_problem(post(api, "/api/v1/moderation/users/mona/suspend", {"reason": "oops"}, bearer(mona)), 409)


def test_the_queue_page_hides_in_one_click(organizer):
    action = factories.action(organizer)
    moderation.report_action(factories.member("rita"), action, "spam", "Selling things")
    client = Client()
    client.force_login(moderator())
    page = client.get("/moderation/").content.decode()
    assert "Selling things" in page and action.title in page
    client.post("/moderation/decide", {"decision": "hide", "action": action.slug, "reason": "Spam"})
    assert Action.objects.get(pk=action.pk).is_hidden
    page = client.get("/moderation/").content.decode()
    assert "queue-empty" in page and 'data-testid="restore"' in page  # listed as hidden
    client.post("/moderation/decide", {"decision": "restore", "action": action.slug, "reason": "Fine after all"})
    assert not Action.objects.get(pk=action.pk).is_hidden


def test_report_from_the_page(organizer):
    action = factories.action(organizer)
    client = Client()
    client.force_login(factories.member("rita"))
    assert "Send the report" in client.get(f"/a/{action.slug}/report").content.decode()
    client.post(f"/a/{action.slug}/report", {"reason": "spam", "detail": "Looks fake"})
    assert Report.objects.get().detail == "Looks fake"


def test_the_deny_list_catches_the_obvious_at_input(organizer, settings):
    settings.DENY_WORDS = ["badword"]

    for name in ("badword", "B4DW0RD!", "a  Bádword  here"):
        with pytest.raises(Invalid, match="do not allow"):
            accounts.create_guest(name)
    assert accounts.create_guest("Badwordsmith Scunthorpe")  # whole words only
    with pytest.raises(Invalid):
        factories.action(organizer, title="Badword party")
    with pytest.raises(Invalid):
        moderation.rename(factories.member("x"), "badword", moderator(), "oops")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_suspended_token_stops_at_the_hot_door_too(monkeypatch):
    from accounts import auth

    monkeypatch.setattr(auth, "REVOCATION_CHECK_S", 0.0)  # check on every request: no waiting in tests
    action = await sync_to_async(factories.action)(await sync_to_async(factories.member)("olga"))
    rude = await sync_to_async(factories.member)("rude")
    token = await sync_to_async(accounts.issue_token)(rude)
    assert (await call(f"/api/v1/actions/{action.slug}/pledges", token))[0] == 201  # now cached
    await sync_to_async(moderation.suspend)(rude, await sync_to_async(moderator)(), "Abuse")
    status, body, _ = await call(f"/api/v1/actions/{action.slug}/pledges", token)
    assert (status, body["error"]) == (401, "unauthorized")
