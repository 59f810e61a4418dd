"""Shared leadership: co-organizers by invitation, what each may do, and the lead handover."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from accounts import services as accounts
from actions import events, services
from actions.models import CoOrganizer

from . import factories
from .conftest import assert_problem, capture_events, connected, next_of_type, post

pytestmark = pytest.mark.django_db


def _as(user):
    return {"Authorization": f"Bearer {accounts.issue_token(user)}"}


@pytest.fixture
def team(action, organizer):
    """The lead (olga) and a co-organizer (cole) who accepted."""
    cole = factories.member("cole")
    services.invite(action, organizer, "cole")
    services.accept_invitation(action, cole)
    return organizer, cole


def test_the_lead_invites_by_handle_and_they_accept(api, action, organizer):
    cole = factories.member("cole")
    with capture_events() as seen:
        made = post(api, f"/api/v1/actions/{action.slug}/organizers", {"handle": "cole"}, _as(organizer))
    assert made.status_code == 201 and made.json() == {"handle": "cole", "name": "Cole", "accepted": False}
    assert [type(e) for e in seen] == [events.OrganizersChanged]
    # Invited is not yet organizing.
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/messages", {"text": "hi"}, _as(cole)), 403)
    accepted = post(api, f"/api/v1/actions/{action.slug}/organizers/accept", headers=_as(cole))
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    assert post(api, f"/api/v1/actions/{action.slug}/messages", {"text": "hi"}, _as(cole)).status_code == 201
    snapshot = api.get(f"/api/v1/actions/{action.slug}").json()
    assert snapshot["co_organizers"] == [{"handle": "cole", "name": "Cole"}]


def test_bad_invitations_get_clear_answers(api, action, organizer):
    stranger = factories.member("stan")
    url = f"/api/v1/actions/{action.slug}/organizers"
    assert_problem(post(api, url, {"handle": "cole"}), 401)
    assert_problem(post(api, url, {"handle": "olga"}, _as(stranger)), 403)
    assert_problem(post(api, url, {"handle": "nobody-at-all"}, _as(organizer)), 404, "not_found")
    assert_problem(post(api, url, {"handle": "olga"}, _as(organizer)), 409, "is_lead")
    assert_problem(post(api, url, {"handle": ""}, _as(organizer)), 422)
    assert_problem(post(api, url, {"handle": ["x"]}, _as(organizer)), 422)
    assert_problem(post(api, "/api/v1/actions/nope/organizers", {"handle": "stan"}, _as(organizer)), 404)
    assert_problem(post(api, f"{url}/accept", headers=_as(stranger)), 404, "not_invited")


def test_co_organizers_message_and_end_but_only_the_lead_cancels(api, action, team):
    lead, cole = team
    factories.move_clock(action, starts_in=-timedelta(minutes=1))
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/cancel", headers=_as(cole)), 403)
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/organizers", {"handle": "stan"}, _as(cole)), 403)
    assert api.get(f"/api/v1/actions/{action.slug}/funnel", headers=_as(cole)).status_code == 200
    assert post(api, f"/api/v1/actions/{action.slug}/end", headers=_as(cole)).json()["phase"] == "ended"


def test_a_removed_co_organizer_loses_their_powers_at_once(api, action, team):
    lead, cole = team
    headers = _as(cole)
    assert post(api, f"/api/v1/actions/{action.slug}/messages", {"text": "one"}, headers).status_code == 201
    assert api.delete(f"/api/v1/actions/{action.slug}/organizers/cole", headers=_as(lead)).status_code == 204
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/messages", {"text": "two"}, headers), 403)
    assert_problem(api.delete(f"/api/v1/actions/{action.slug}/organizers/cole", headers=_as(lead)), 404)


def test_a_co_organizer_may_step_down_but_not_remove_others(api, action, team):
    lead, cole = team
    dana = factories.member("dana")
    services.invite(action, lead, "dana")
    assert_problem(api.delete(f"/api/v1/actions/{action.slug}/organizers/dana", headers=_as(cole)), 403)
    assert api.delete(f"/api/v1/actions/{action.slug}/organizers/cole", headers=_as(cole)).status_code == 204
    assert list(CoOrganizer.objects.values_list("user_id", flat=True)) == [dana.pk]


def test_the_lead_hands_over_mid_action(api, action, team):
    lead, cole = team
    factories.member("dana")
    services.invite(action, lead, "dana")  # invited, not accepted
    factories.move_clock(action, starts_in=-timedelta(minutes=1))
    url = f"/api/v1/actions/{action.slug}/lead"
    assert_problem(post(api, url, {"handle": "dana"}, _as(lead)), 409, "not_co_organizer")
    assert_problem(post(api, url, {"handle": "olga"}, _as(cole)), 403)
    with capture_events() as seen:
        handed = post(api, url, {"handle": "cole"}, _as(lead))
    assert handed.status_code == 200
    assert handed.json()["action"]["organizer"]["handle"] == "cole"
    assert handed.json()["co_organizers"] == [{"handle": "olga", "name": "Olga"}]
    assert [type(e) for e in seen] == [events.LeadChanged]
    # The old lead steers on as a co-organizer, but cancelling is the new lead's.
    assert_problem(post(api, f"/api/v1/actions/{action.slug}/cancel", headers=_as(lead)), 403)
    assert post(api, f"/api/v1/actions/{action.slug}/cancel", headers=_as(cole)).json()["phase"] == "cancelled"


def test_the_console_is_open_to_co_organizers_only(client, action, team):
    lead, cole = team
    client.force_login(cole)
    page = client.get(f"/a/{action.slug}/console")
    assert page.status_code == 200 and b"data-invite-form" not in page.content  # inviting is the lead's
    client.force_login(factories.member("stan"))
    assert client.get(f"/a/{action.slug}/console").status_code == 403


def test_an_invitee_sees_the_invitation_on_the_action_page(client, action, organizer):
    cole = factories.member("cole")
    services.invite(action, organizer, "cole")
    client.force_login(cole)
    assert b"data-accept-invite" in client.get(f"/a/{action.slug}").content


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_every_screen_sees_the_new_lead(celery_worker):
    action, lead, cole = await sync_to_async(_team_now)()
    ws = await connected(f"/ws/actions/{action.slug}/")
    await next_of_type(ws, "snapshot")
    await sync_to_async(services.hand_lead)(action, lead, "cole")
    while (await next_of_type(ws, "snapshot", timeout=10))["action"]["organizer"]["handle"] != "cole":
        pass
    await ws.disconnect()


def _team_now():
    lead = factories.member("olga")
    action = factories.action(lead)
    cole = factories.member("cole")
    services.invite(action, lead, "cole")
    services.accept_invitation(action, cole)
    return action, lead, cole
