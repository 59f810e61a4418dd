"""Messages from the organizer to everyone on the action."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from .. import events, rules
from ..models import Action, Announcement
from .organizers import require_organizer


def announce(action: Action, by: User | AnonymousUser, text: str) -> Announcement:
    require_organizer(action, by)
    text = rules.clean_message(text)
    rules.check_visible(action)
    rules.check_not_cancelled(action, timezone.now())
    with transaction.atomic():
        made = Announcement.objects.create(action=action, text=text)
        events.emit(events.MessagePosted(action.pk, made.pk))
    return made
