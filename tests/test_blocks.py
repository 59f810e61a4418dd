"""Blocks: the blocked person's actions leave the blocker's feed and their messages do
not reach them; follows between the two end."""

from __future__ import annotations

from django.test import Client

from accounts import personal
from actions import services
from social import notify, selectors
from social import services as social
from social.models import Follow

from . import factories
from .conftest import assert_problem, post


def test_blocked_organizers_leave_the_feed_and_their_messages_stop(organizer):
    fan, other = factories.member("fan"), factories.member("other")
    social.follow(fan, organizer)
    social.follow(fan, other)
    launched = factories.action(organizer)
    factories.action(other)
    services.pledge(launched, fan)
    assert launched in selectors.feed_for(fan)
    made = services.announce(launched, organizer, "Bring gloves")
    assert notify.deliver_announcement(made.pk) == 1

    assert social.block(fan, organizer) is True
    assert social.block(fan, organizer) is False  # idempotent
    assert [a.organizer for a in selectors.feed_for(fan)] == [other]
    assert not Follow.objects.filter(follower=fan, followee=organizer).exists()
    assert notify.deliver_announcement(services.announce(launched, organizer, "Again").pk) == 0
    assert personal.export(fan)["blocking"] == [organizer.profile.handle]

    social.unblock(fan, organizer)
    assert notify.deliver_announcement(made.pk) == 1


def test_a_blocked_person_cannot_follow_back_and_nobody_blocks_themselves(organizer, api):
    pest = factories.member("pest")
    social.block(organizer, pest)
    headers = {"Authorization": f"Bearer {factories.accounts.issue_token(pest)}"}
    assert_problem(post(api, f"/api/v1/users/{organizer.profile.handle}/follow", {}, headers), 409, "blocked")
    assert_problem(post(api, "/api/v1/users/pest/block", {}, headers), 409, "self_block")
    assert_problem(post(api, "/api/v1/users/nobody/block", {}, headers), 404)
    assert_problem(post(api, f"/api/v1/users/{organizer.profile.handle}/block", {}), 401)
    answer = post(api, f"/api/v1/users/{organizer.profile.handle}/block", {}, headers)
    assert answer.json() == {"handle": organizer.profile.handle, "blocked": True}


def test_block_from_the_profile_page(organizer):
    fan = factories.member("fan")
    client = Client()
    client.force_login(fan)
    assert "Block" in client.get(f"/u/{organizer.profile.handle}").content.decode()
    client.post(f"/u/{organizer.profile.handle}/follow", {"intent": "block"})
    assert selectors.is_blocking(fan, organizer)
    assert "Unblock" in client.get(f"/u/{organizer.profile.handle}").content.decode()
