"""Hiding an action (a moderator's decision, taken by the moderation app) and showing it
again. The domain owns the write and its events; it does not know who decides."""

from __future__ import annotations

from django.db import transaction

from common.errors import Conflict

from .. import events
from ..models import Action, Visibility


def _set(action: Action, visibility: Visibility) -> Action:
    with transaction.atomic():
        locked = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        if locked.visibility == visibility:
            raise Conflict(f"already_{visibility}", f"This action is {visibility} already.")
        locked.visibility = visibility
        locked.save(update_fields=["visibility"])
        return locked


def hide_action(action: Action, why: str) -> Action:
    hidden = _set(action, Visibility.HIDDEN)
    events.emit(events.Hidden(hidden.pk, why))
    return hidden


def restore_action(action: Action) -> Action:
    shown = _set(action, Visibility.PUBLIC)
    events.emit(events.Restored(shown.pk))
    return shown
