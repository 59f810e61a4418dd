"""Domain events, told to the screens: what changes a count asks for a snapshot, what
concerns one person goes to their own feed (/ws/me/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actions import events, selectors
from actions.models import Action, Announcement, Pledge, Raid
from common import coalesce

from . import publish
from .cascades import cascade_ask, cascade_notes, request_cascade
from .movements import request_movement
from .snapshots import request_snapshot, snapshot_ask


@events.listen(events.Pledged, events.CheckInsVerified, events.DeedDone)
def recount(event: events.Pledged | events.CheckInsVerified | events.DeedDone) -> None:
    """A count and the cascade both change: one Redis round trip asks for both."""
    coalesce.request_all(snapshot_ask(event.action_id), cascade_ask(event.action_id, cascade_notes(event)))


@events.listen(events.ShareVisited)
def redraw_cascade(event: events.ShareVisited) -> None:
    request_cascade(event.action_id, cascade_notes(event))


@events.listen(events.CheckInsVerified, events.CheckInsRejected)
def tell_verdicts(event: events.CheckInsVerified | events.CheckInsRejected) -> None:
    publish.to_each_user(selectors.verdict_frames(event.action_id, event.checkin_ids))


def _tell_then_recount(event: events.Event, frame_of: Callable[[Action], dict[str, Any]]) -> None:
    """A frame built from the action to its screens, then a fresh snapshot."""
    action = Action.objects.filter(pk=event.action_id).first()
    if action is not None:
        publish.to_action(action.pk, frame_of(action))
    request_snapshot(event.action_id)


@events.listen(events.PhaseChanged)
def tell_phase(event: events.PhaseChanged) -> None:
    _tell_then_recount(event, selectors.phase_message)


@events.listen(events.MessagePosted)
def tell_message(event: events.MessagePosted) -> None:
    made = Announcement.objects.select_related("action").filter(pk=event.announcement_id).first()
    if made is None:
        return
    publish.to_action(made.action_id, selectors.announcement_message(made))


@events.listen(events.Hidden)
def tell_hidden(event: events.Hidden) -> None:
    """Every screen of the action, and its organizer's own feed, told at once."""
    action = Action.objects.filter(pk=event.action_id).first()
    if action is None:
        return
    frame = selectors.moderated_message(action, event.why)
    publish.to_groups([publish.action_group(action.pk), publish.user_group(action.organizer_id)], frame)


@events.listen(events.Restored, events.OrganizersChanged, events.LeadChanged, events.MomentumSet, events.Rescheduled)
def resend_snapshot(event: events.Event) -> None:
    request_snapshot(event.action_id)


@events.listen(events.SpotlightChanged)
def tell_spotlight(event: events.SpotlightChanged) -> None:
    _tell_then_recount(event, selectors.spotlight_message)


@events.listen(events.RaidStarted)
def tell_raid(event: events.RaidStarted) -> None:
    """Every open screen of the action, and every pledger's own feed, wherever they are."""
    raid = Raid.objects.select_related("source", "target__organizer__profile").filter(pk=event.raid_id).first()
    if raid is None:
        return
    pledgers = Pledge.objects.filter(action_id=raid.source_id).values_list("user_id", flat=True)
    groups = [publish.action_group(raid.source_id), *(publish.user_group(uid) for uid in pledgers.iterator())]
    publish.to_groups(groups, selectors.raid_message(raid))
    request_snapshot(event.action_id)


@events.listen(events.LevelReached)
def tell_level(event: events.LevelReached) -> None:
    _tell_then_recount(event, lambda action: selectors.level_message(action, event.level, event.added_minutes))


@events.listen(events.Forked)
def grow_movement(event: events.Forked) -> None:
    """The new place joins the movement's screens; the source now links to its movement."""
    request_movement(event.movement_id)
    request_snapshot(event.source_id)


@events.listen(events.Hidden)
def recount_movement(event: events.Hidden) -> None:
    """A hidden action leaves its movement's sum (a hidden action sends no snapshot of its
    own, which is how the other changes reach the movement)."""
    movement_id = Action.objects.filter(pk=event.action_id).values_list("movement_id", flat=True).first()
    if movement_id is not None:
        request_movement(movement_id)
