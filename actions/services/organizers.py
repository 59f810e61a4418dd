"""Who steers an action: the lead (Action.organizer) and the co-organizers they invite.

Co-organizers message, spotlight, end and raid; only the lead invites, cancels and hands
the lead over. Every check reads the rows now, so a removed co-organizer's next tap is
refused at once, whatever their open console still shows.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import get_profile
from common.errors import Conflict, Forbidden, NotFound

from .. import events
from ..models import Action, CoOrganizer


def is_lead(action: Action, user: User | AnonymousUser) -> bool:
    return user.is_authenticated and action.organizer_id == user.pk


def is_organizer(action: Action, user: User | AnonymousUser) -> bool:
    """The lead, or a co-organizer who accepted."""
    if not user.is_authenticated:
        return False
    if is_lead(action, user):
        return True
    return CoOrganizer.objects.filter(action=action, user_id=user.pk, accepted_at__isnull=False).exists()


def require_organizer(action: Action, user: User | AnonymousUser) -> None:
    if not is_organizer(action, user):
        raise Forbidden("forbidden", "Only the action's organizers can do that.")


def require_lead(action: Action, user: User | AnonymousUser) -> None:
    if not is_lead(action, user):
        raise Forbidden("forbidden", "Only the lead organizer can do that.")


def _person(handle: str) -> User:
    profile = get_profile(handle or "")
    if profile is None:
        raise NotFound("not_found", "Nobody has that handle.")
    return profile.user


def invite(action: Action, by: User | AnonymousUser, handle: str) -> CoOrganizer:
    """Idempotent: inviting someone twice keeps the first invitation."""
    require_lead(action, by)
    user = _person(handle)
    if user.pk == action.organizer_id:
        raise Conflict("is_lead", "The lead organizes already.")
    try:
        with transaction.atomic():
            made = CoOrganizer.objects.create(action=action, user=user)
            events.emit(events.OrganizersChanged(action.pk))
            return made
    except IntegrityError:
        return CoOrganizer.objects.get(action=action, user=user)


def accept(action: Action, user: User | AnonymousUser) -> CoOrganizer:
    invitation = CoOrganizer.objects.filter(action=action, user_id=user.pk).first() if user.is_authenticated else None
    if invitation is None:
        raise NotFound("not_invited", "You have no invitation to organize this action.")
    if invitation.accepted_at is None:
        with transaction.atomic():
            invitation.accepted_at = timezone.now()
            invitation.save(update_fields=["accepted_at"])
            events.emit(events.OrganizersChanged(action.pk))
    return invitation


def remove(action: Action, by: User | AnonymousUser, handle: str) -> None:
    """The lead removes anyone; a co-organizer may step down themselves."""
    user = _person(handle)
    if by.pk != user.pk:
        require_lead(action, by)
    with transaction.atomic():
        deleted, _ = CoOrganizer.objects.filter(action=action, user=user).delete()
        if not deleted:
            raise NotFound("not_found", "That person does not organize this action.")
        events.emit(events.OrganizersChanged(action.pk))


def hand_lead(action: Action, by: User | AnonymousUser, handle: str) -> Action:
    """The lead passes to a co-organizer who accepted; the old lead stays on as one."""
    user = _person(handle)
    with transaction.atomic():
        locked = Action.objects.select_for_update(no_key=True).get(pk=action.pk)
        require_lead(locked, by)
        if not CoOrganizer.objects.filter(action=locked, user=user, accepted_at__isnull=False).exists():
            raise Conflict("not_co_organizer", "Hand the lead to a co-organizer who has accepted.")
        previous = locked.organizer_id
        CoOrganizer.objects.filter(action=locked, user=user).delete()
        CoOrganizer.objects.create(action=locked, user_id=previous, accepted_at=timezone.now())
        locked.organizer = user
        locked.save(update_fields=["organizer"])
        events.emit(events.LeadChanged(locked.pk, previous, user.pk))
    return locked
