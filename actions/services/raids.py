"""Attention shared: an action spotlights up to three others, and at its end raids one,
handing its crowd on. Pledges that come this way say so (Pledge.via_spotlight, via_raid),
which is how attention given and received is counted."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import Conflict, Invalid, NotFound

from .. import events, rules
from ..models import Action, Phase, Raid, Spotlight
from .organizers import require_organizer
from .phases import end_now


def _target(source: Action, slug: str) -> Action:
    """Another action that is still open and visible: the only kind worth handing people to."""
    target = Action.objects.filter(slug=slug).first()
    if target is None:
        raise NotFound("not_found", f"No action has the slug “{slug[:60]}”.")
    if target.pk == source.pk:
        raise Invalid("invalid", "Pick another action than this one.", field="slugs")
    rules.check_visible(target)
    rules.check_open(target, timezone.now())
    return target


def set_spotlight(action: Action, by: User | AnonymousUser, slugs: list[str]) -> list[Action]:
    """Replace the action's spotlight with these actions, in this order (none clears it)."""
    require_organizer(action, by)
    rules.check_visible(action)
    if len(slugs) > rules.SPOTLIGHT_MAX:
        raise Invalid("invalid", f"Spotlight at most {rules.SPOTLIGHT_MAX} actions.", field="slugs")
    if len(set(slugs)) != len(slugs):
        raise Invalid("invalid", "Each action once.", field="slugs")
    targets = [_target(action, slug) for slug in slugs]
    with transaction.atomic():
        Spotlight.objects.filter(action=action).delete()
        Spotlight.objects.bulk_create(
            Spotlight(action=action, target=target, position=n) for n, target in enumerate(targets)
        )
        events.emit(events.SpotlightChanged(action.pk))
    return targets


def raid(action: Action, by: User | AnonymousUser, to: str) -> Raid:
    """Hand the crowd to another action. A live action ends now; one raid per action."""
    require_organizer(action, by)
    rules.check_visible(action)
    now = timezone.now()
    phase = action.phase_at(now)
    if phase == Phase.CANCELLED:
        raise Conflict("cancelled", "This action was cancelled; there is no crowd to hand on.")
    if phase == Phase.SCHEDULED:
        raise Conflict("not_started", "Raid at or after the end: this action has not started yet.")
    target = _target(action, to)
    with transaction.atomic():
        if phase == Phase.LIVE:
            end_now(action)
        try:
            with transaction.atomic():
                made = Raid.objects.create(source=action, target=target, by=by if by.is_authenticated else None)
        except IntegrityError:
            raise Conflict("raided", "This action has handed its crowd on already.") from None
        events.emit(events.RaidStarted(action.pk, made.pk))
    return made
