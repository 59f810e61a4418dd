"""A pledger's rough whereabouts for the last-minutes nudge: an H3 cell, never the point."""

from __future__ import annotations

import h3
from django.contrib.auth.models import User
from django.utils import timezone

from actions import rules
from actions.models import Action, Pledge
from common.errors import Conflict, NotFound

from .models import Whereabouts

RESOLUTION = 9  # about 0.1 km²: enough to say "300 m away", too coarse to say which door


def record(action: Action, user: User, lat: float, lon: float) -> None:
    rules.check_visible(action)
    if rules.is_closed(action, timezone.now()):
        raise Conflict("ended", "This action is over.")
    if not Pledge.objects.filter(action=action, user=user).exists():
        raise NotFound("not_pledged", "Only someone who pledged can say where they are.")
    cell = h3.latlng_to_cell(lat, lon, RESOLUTION)
    Whereabouts.objects.update_or_create(user=user, action=action, defaults={"cell": cell, "at": timezone.now()})
