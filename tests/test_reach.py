"""Reach follows trust: a new organizer's launch reaches their followers; strangers see it
listed once the organizer has a track record (rules.TRACK_RECORD_DEEDS)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from accounts.models import Profile
from actions import rules, selectors, services
from social import selectors as social_selectors
from social import services as social

from . import factories

SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}


def deed(action, person) -> None:
    services.check_in(action, person, services.CheckInInput(f"deed-{person.pk:06}", **SPOT))
    services.verify_pending(action.pk)
    services.mark_deed_done(action, person)


def listed() -> list[str]:
    return [a.title for a in selectors.publicly_listed()]


def test_a_newcomers_launch_reaches_followers_not_strangers(db):
    newcomer, fan = factories.guest("New"), factories.member("fan")
    social.follow(fan, newcomer)
    factories.action(newcomer, title="First try")
    assert "First try" not in listed()
    assert [a.title for a in social_selectors.feed_for(fan)] == ["First try"]
    assert "First try" not in Client().get("/").content.decode()


def test_a_track_record_or_a_moderators_word_lists_it(db):
    helper, leader, vouched = factories.member("helper"), factories.member("leader"), factories.member("vouched")
    factories.action(helper, title="By a helper")
    factories.action(leader, title="By a leader")
    factories.action(vouched, title="Vouched for")
    assert listed() == []

    elsewhere = factories.move_clock(factories.action(factories.member("someone")), starts_in=timedelta(minutes=-1))
    Profile.objects.filter(user__username="someone").update(trusted=True)
    deed(elsewhere, helper)  # a verified deed on someone else's action
    earlier = factories.move_clock(factories.action(leader, title="Earlier"), starts_in=timedelta(minutes=-1))
    for n in range(rules.TRACK_RECORD_DEEDS):
        deed(earlier, factories.guest(f"P{n}"))
    factories.move_clock(earlier, starts_in=timedelta(hours=-2))  # it is over now
    Profile.objects.filter(user=vouched).update(trusted=True)
    assert set(listed()) == {"By a helper", "By a leader", "Vouched for", elsewhere.title}


def test_a_co_organizer_with_a_track_record_lists_a_newcomers_action(db):
    newcomer, mentor = factories.guest("New"), factories.member("mentor")
    action = factories.action(newcomer, title="First try, with help")
    services.invite(action, newcomer, "mentor")
    Profile.objects.filter(user=mentor).update(trusted=True)
    assert listed() == []  # invited is not enough: they must accept
    services.accept_invitation(action, mentor)
    assert listed() == ["First try, with help"]
