"""Follower notices: a launch or a pledge by someone you follow reaches your feed live, and
a public launch in a watch area reaches its watchers.

Listens to the domain's events; not idempotent (a second `launch` would show twice), so
the tasks keep Celery's default early ack."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from actions import events, selectors
from actions.models import Action, Announcement, Pledge
from realtime import publish

from . import watching
from .selectors import blockers_of, followed_among, follower_ids


@events.listen(events.Launched)
def on_launch(event: events.Launched) -> None:
    announce_launch.delay(event.action_id)


@events.listen(events.Pledged)
def on_pledges(event: events.Pledged) -> None:
    # Most pledgers are guests nobody follows: one cheap look saves a task per pledge.
    followed = followed_among([user_id for _, user_id in event.pledges])
    for pledge_id, user_id in event.pledges:
        if user_id in followed:
            announce_pledge.delay(pledge_id)


@events.listen(events.MessagePosted)
def on_message(event: events.MessagePosted) -> None:
    deliver_announcement.delay(event.announcement_id)


@shared_task
def deliver_announcement(announcement_id: int) -> int:
    """An organizer's message reaches the pledged participants' own feeds (/ws/me/), even
    with the action page closed; not those who blocked the organizer."""
    made = Announcement.objects.select_related("action").filter(pk=announcement_id).first()
    if made is None:
        return 0
    blockers = blockers_of(made.action.organizer_id)
    user_ids = [
        uid
        for uid in Pledge.objects.filter(action_id=made.action_id).values_list("user_id", flat=True)
        if uid not in blockers
    ]
    publish.to_users(user_ids, selectors.announcement_message(made))
    return len(user_ids)


def launch_audience(action: Action) -> tuple[list[int], set[int]]:
    """Who hears of a launch: the organizer's followers, and the watchers of its place if
    strangers may be shown it (a track record, DESIGN.md section 7), less anyone who
    blocked the organizer. The live feed and the alerts both ask here."""
    followers = follower_ids(action.organizer_id)
    nearby = watching.watchers(watching.cell_of(action.lat, action.lon)) - {*followers, action.organizer_id}
    if nearby and selectors.with_track_record(Action.objects.filter(pk=action.pk), timezone.now()).exists():
        nearby -= blockers_of(action.organizer_id)
    else:
        nearby = set()
    return followers, nearby


@shared_task
def announce_launch(action_id: int) -> int:
    action = Action.objects.select_related("organizer__profile").filter(pk=action_id).first()
    if action is None:
        return 0
    followers, nearby = launch_audience(action)
    publish.to_users([*followers, *nearby], selectors.launch_message(action))
    return len(followers) + len(nearby)


@shared_task
def announce_pledge(pledge_id: int) -> int:
    made = Pledge.objects.select_related("action", "user__profile").filter(pk=pledge_id).first()
    if made is None:
        return 0
    followers = follower_ids(made.user_id)
    if followers:
        publish.to_users(followers, selectors.pledge_message(made))
    return len(followers)
