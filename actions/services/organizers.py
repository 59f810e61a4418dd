"""Who may steer an action."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from common.errors import Forbidden

from ..models import Action


def require_organizer(action: Action, user: User | AnonymousUser) -> None:
    if not user.is_authenticated or action.organizer_id != user.pk:
        raise Forbidden("forbidden", "Only the organizer can do that.")
