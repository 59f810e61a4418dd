from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts
from actions import rules, selectors, services
from actions.models import Action, Phase, Pledge
from common.errors import Conflict, Forbidden, Invalid
from social import selectors as social_selectors
from social import services as social
from social.models import Follow

from . import factories

pytestmark = pytest.mark.django_db


def test_guest_is_a_real_user_without_password():
    user = accounts.create_guest("  Ana   María ")
    assert not user.has_usable_password()
    assert user.profile.is_guest
    assert user.profile.display_name == "Ana María"
    assert user.profile.handle.startswith("ana-maria-")


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_guest_name_is_required_and_bounded(name):
    with pytest.raises(Invalid):
        accounts.create_guest(name)


def test_upgraded_guest_keeps_pledges(action):
    user = accounts.create_guest("Kim")
    services.pledge(action, user)
    accounts.upgrade_guest(user, username="kim", password="a-long-test-password", email="kim@example.org")
    user.refresh_from_db()
    assert user.check_password("a-long-test-password")
    assert not user.profile.is_guest
    assert Pledge.objects.filter(user=user, action=action).exists()
    with pytest.raises(Conflict):
        accounts.upgrade_guest(user, username="kim2", password="a-long-test-password")


def test_member_handle_must_be_free():
    factories.member("taken")
    with pytest.raises(Conflict):
        accounts.create_member("TAKEN", "a-long-test-password")


def test_follow_is_idempotent_and_not_self():
    a, b = factories.member(), factories.member()
    assert social.follow(a, b) is True
    assert social.follow(a, b) is False
    assert Follow.objects.filter(follower=a, followee=b).count() == 1
    with pytest.raises(Conflict):
        social.follow(a, a)
    assert social.unfollow(a, b) is True
    assert social.unfollow(a, b) is False


def test_launch_gives_code_slug_and_window(organizer):
    made = factories.action(organizer, title="Clean  the   park", duration_minutes=20)
    assert len(made.join_code) == 6
    assert set(made.join_code) <= set(rules.JOIN_CODE_ALPHABET)
    assert not set(made.join_code) & set("01ILO")
    assert made.slug.startswith("clean-the-park-")
    assert made.title == "Clean the park"
    assert made.ends_at - made.starts_at == timedelta(minutes=20)
    assert made.status == Phase.SCHEDULED


def test_join_codes_are_unique(organizer):
    codes = {factories.action(organizer).join_code for _ in range(30)}
    assert len(codes) == 30


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 200}, "title"),
        ({"deed": " "}, "deed"),
        ({"lat": 91.0}, "lat"),
        ({"lat": -90.5}, "lat"),
        ({"lon": 180.1}, "lon"),
        ({"lat": float("nan")}, "lat"),
        ({"lat": None}, "lat"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 181}, "duration_minutes"),
        ({"goal": 0}, "goal"),
        ({"capacity": 0}, "capacity"),
        ({"radius_m": 5}, "radius_m"),
        ({"starts_at": timezone.now() - timedelta(hours=1)}, "starts_at"),
        ({"starts_at": timezone.now() + timedelta(days=31)}, "starts_at"),
        ({"starts_at": timezone.now().replace(tzinfo=None)}, "starts_at"),
    ],
)
def test_launch_rejects_bad_fields(organizer, overrides, field):
    with pytest.raises(Invalid) as refused:
        factories.action(organizer, **overrides)
    assert refused.value.field == field
    assert not Action.objects.exists()


def test_anywhere_action_needs_no_place(organizer):
    made = factories.action(organizer, lat=None, lon=None, radius_m=None, place_name="")
    assert made.is_anywhere


def test_pledge_is_idempotent_and_records_referrer(action):
    friend = factories.member("friend")
    newcomer = factories.guest("New")
    first, created = services.pledge(action, newcomer, ref_handle="friend")
    again, created_again = services.pledge(action, newcomer, ref_handle="someone-else")
    assert created and not created_again
    assert first.pk == again.pk
    assert first.referrer == friend
    assert Pledge.objects.filter(action=action).count() == 1


def test_self_or_unknown_referrer_is_ignored(action):
    user = factories.member("selfie")
    made, _ = services.pledge(action, user, ref_handle="selfie")
    assert made.referrer is None
    other, _ = services.pledge(action, factories.guest(), ref_handle="nobody-here")
    assert other.referrer is None


def test_full_action_refuses(organizer):
    small = factories.action(organizer, capacity=2)
    services.pledge(small, factories.guest())
    services.pledge(small, factories.guest())
    with pytest.raises(Conflict) as refused:
        services.pledge(small, factories.guest())
    assert refused.value.code == "full"
    assert Pledge.objects.filter(action=small).count() == 2


def test_pledge_to_ended_or_cancelled_is_refused(organizer):
    ended = factories.move_clock(
        factories.action(organizer), starts_in=timedelta(minutes=-20), duration=timedelta(minutes=5)
    )
    with pytest.raises(Conflict) as refused:
        services.pledge(ended, factories.guest())
    assert refused.value.code == "ended"
    cancelled = services.cancel_action(factories.action(organizer), organizer)
    with pytest.raises(Conflict) as refused:
        services.pledge(cancelled, factories.guest())
    assert refused.value.code == "cancelled"
    assert not Pledge.objects.exists()


def test_pledge_while_live_is_accepted(organizer):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    _, created = services.pledge(live, factories.guest())
    assert created


def test_only_the_organizer_cancels(action):
    with pytest.raises(Forbidden):
        services.cancel_action(action, factories.member())
    cancelled = services.cancel_action(action, action.organizer)
    assert cancelled.status == Phase.CANCELLED
    with pytest.raises(Conflict):
        services.cancel_action(action, action.organizer)


def test_end_early_closes_the_window(organizer):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    ended = services.end_action(live, organizer)
    assert ended.status == Phase.ENDED
    assert ended.ends_at <= timezone.now()


def test_phase_follows_the_clock(action):
    now = action.starts_at - timedelta(seconds=1)
    assert action.phase_at(now) == Phase.SCHEDULED
    assert action.phase_at(action.starts_at) == Phase.LIVE
    assert action.phase_at(action.ends_at) == Phase.ENDED


def test_sync_phase_advances_and_is_idempotent(action):
    assert services.sync_phase(action.pk) is None
    factories.move_clock(action, starts_in=timedelta(seconds=-1))
    assert services.sync_phase(action.pk) == Phase.LIVE
    assert services.sync_phase(action.pk) is None
    factories.move_clock(action, starts_in=timedelta(minutes=-30))
    assert services.sync_phase(action.pk) == Phase.ENDED
    action.refresh_from_db()
    assert action.status == Phase.ENDED


def test_sweep_moves_every_lagging_action(organizer):
    lagging = [factories.move_clock(factories.action(organizer), starts_in=timedelta(seconds=-2)) for _ in range(3)]
    future = factories.action(organizer)
    assert services.sweep_phases() == 3
    assert {Action.objects.get(pk=a.pk).status for a in lagging} == {Phase.LIVE}
    assert Action.objects.get(pk=future.pk).status == Phase.SCHEDULED
    assert services.sweep_phases() == 0


def test_snapshot_shape(action):
    services.pledge(action, factories.guest("Zed"))
    snap = selectors.snapshot(action)
    assert snap["type"] == "snapshot"
    assert snap["phase"] == "scheduled"
    assert snap["counts"] == {"pledged": 1, "checked_in": 0, "deeds": 0, "goal": 50}
    assert snap["recent_pledges"][0]["name"] == "Zed"
    assert snap["server_now"].endswith("Z") and "." in snap["server_now"]
    assert snap["action"]["join_code"] == action.join_code
    assert set(snap) >= {"starts_at", "ends_at", "seq", "recent_deeds"}


def test_feed_shows_followed_open_actions_only():
    reader, star, stranger = factories.member(), factories.member(), factories.member()
    social.follow(reader, star)
    shown = factories.action(star)
    factories.action(stranger)
    services.cancel_action(factories.action(star), star)
    assert [a.pk for a in social_selectors.feed_for(reader)] == [shown.pk]
