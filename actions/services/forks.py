"""Forks: anyone signed in takes an action's deed to their own place and time. The fork
is a launch like any other (same fields, same checks, same limits) with the deed fixed;
the original and all its forks form one movement, made on the first fork."""

from __future__ import annotations

from dataclasses import replace

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .. import events, rules
from ..models import Action, Movement
from .launch import launch_action


def fork_action(original: Action, by: User, data: rules.LaunchInput) -> Action:
    """A new action doing `original`'s deed where and when `data` says. Refused for a
    hidden (410), ended or cancelled (409) original; bad fields are 422 as in a launch."""
    rules.check_visible(original)
    rules.check_open(original, timezone.now())
    with transaction.atomic():
        movement = movement_of(original)
        fork = launch_action(by, replace(data, deed=original.deed), forked_from=original, movement=movement)
        events.emit(events.Forked(fork.pk, source_id=original.pk, movement_id=movement.pk))
    return fork


def movement_of(action: Action) -> Movement:
    """The action's movement, made now if this is its first fork."""
    if action.movement_id is not None:
        return Movement.objects.get(pk=action.movement_id)
    made = Movement.objects.create(deed=action.deed, title=action.title, origin=action)
    # Conditional update, not read-then-write: two first forks racing (SQLite has no
    # FOR UPDATE) agree on whichever movement landed first; the loser's is dropped.
    if Action.objects.filter(pk=action.pk, movement__isnull=True).update(movement=made):
        action.movement = made
        return made
    made.delete()
    return Action.objects.select_related("movement").get(pk=action.pk).movement  # type: ignore[return-value]
