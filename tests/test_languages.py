"""English and Polish: the browser's language picks, the footer's switch overrides."""

from __future__ import annotations

import pytest

from .conftest import post

pytestmark = pytest.mark.django_db

POLISH = {"HTTP_ACCEPT_LANGUAGE": "pl-PL,pl;q=0.9,en;q=0.5"}


def test_a_polish_browser_gets_polish_pages(client, action):
    home = client.get("/", **POLISH).content.decode()
    assert '<html lang="pl"' in home and "Masz kod z transmisji" in home
    page = client.get(f"/a/{action.slug}", **POLISH).content.decode()
    assert "Wchodzę w to" in page and "Dodaj do kalendarza" in page
    assert 'data-count="pledged"' in page  # the hooks the scripts use stay as they are
    english = client.get(f"/a/{action.slug}", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "I&#x27;m in" in english or "I'm in" in english


def test_the_switch_overrides_the_browser(client, action):
    client.get("/")  # the CSRF cookie
    answer = client.post("/i18n/setlang/", {"language": "pl", "next": f"/a/{action.slug}"})
    assert answer.status_code == 302 and answer["Location"] == f"/a/{action.slug}"
    assert "Wchodzę w to" in client.get(f"/a/{action.slug}", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_scripts_words_come_in_polish(client):
    catalog = client.get("/jsi18n/", **POLISH).content.decode()
    assert "Brak zasi\\u0119gu" in catalog or "Brak zasięgu" in catalog


@pytest.mark.django_db(transaction=True)  # the hot endpoints write on their own threads
def test_refusals_and_verdicts_speak_the_callers_language(client, action):
    from datetime import timedelta

    from django.utils import timezone

    from actions.models import Action

    from . import factories

    Action.objects.filter(pk=action.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    client.force_login(factories.guest("Ola"))
    answer = post(client, f"/api/v1/actions/{action.slug}/pledges", {}, {"Accept-Language": "pl"})
    assert answer.status_code == 409, answer.content
    assert answer.json()["detail"] == "Ta akcja się zakończyła."


def test_the_verdict_on_the_socket_speaks_the_persons_language(action):
    from datetime import timedelta

    from accounts.models import Profile
    from actions import selectors, services

    from . import factories

    live = factories.move_clock(action, starts_in=timedelta(minutes=-1))
    ola, ed = factories.guest("Ola"), factories.guest("Ed")
    Profile.objects.filter(user=ola).update(language="pl")
    far = {"lat": 50.2, "lon": 19.9, "accuracy_m": 5}
    polish, _ = services.check_in(live, ola, services.CheckInInput("lang-00001", **far))
    english, _ = services.check_in(live, ed, services.CheckInInput("lang-00002", **far))
    services.verify_pending(live.pk)
    frames = dict(selectors.verdict_frames(live.pk, (polish.pk, english.pk)))
    assert frames[ola.pk]["reason"] == "too_far" and frames[ola.pk]["detail"].startswith("Jesteś ok.")
    assert frames[ed.pk]["detail"].startswith("You're about")


def test_a_verdict_frame_says_what_the_check_in_row_says(action):
    """The verdict frames are read in plain SQL: each is the message of the stored row,
    value for value and type for type; another action's check-in is not told."""
    import json
    from datetime import timedelta

    from actions import selectors, services
    from actions.models import CheckIn

    from . import factories

    live = factories.move_clock(action, starts_in=timedelta(minutes=-1))
    other = factories.move_clock(factories.action(action.organizer), starts_in=timedelta(minutes=-1))
    near, far, elsewhere = factories.guest("Near"), factories.guest("Far"), factories.guest("Elsewhere")
    here, _ = services.check_in(live, near, services.CheckInInput("frame-00001", **factories.SPOT))
    away, _ = services.check_in(live, far, services.CheckInInput("frame-00002", lat=50.2, lon=19.9, accuracy_m=5))
    there, _ = services.check_in(other, elsewhere, services.CheckInInput("frame-00003", **factories.SPOT))
    services.verify_pending(live.pk)
    services.mark_deed_done(live, near)
    frames = dict(selectors.verdict_frames(live.pk, (here.pk, away.pk, there.pk)))
    assert set(frames) == {near.pk, far.pk}
    for user, checkin in ((near, here), (far, away)):
        row = CheckIn.objects.get(pk=checkin.pk)
        assert json.dumps(frames[user.pk]) == json.dumps(selectors.checkin_message(live, row))
    assert frames[near.pk]["deed_done"] is True and frames[far.pk]["synced_late"] is False


@pytest.mark.django_db(transaction=True)
def test_a_refusal_from_a_service_speaks_polish_too(client, action):
    from . import factories

    client.force_login(factories.guest("Ola"))
    answer = post(client, f"/api/v1/actions/{action.slug}/deeds", {}, {"Accept-Language": "pl"})
    assert answer.status_code == 409 and answer.json()["detail"].startswith("Najpierw zamelduj się")
    english = post(client, f"/api/v1/actions/{action.slug}/deeds", {}, {"Accept-Language": "en"})
    assert english.json()["detail"].startswith("Check in on the spot first")
