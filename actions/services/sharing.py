"""Share links: visits through one person's link, counted for them, never who visited."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import F

from accounts.selectors import get_profile

from .. import events
from ..models import Action, Pledge, ShareVisit


def record_visit(action: Action, ref_handle: str, viewer: User | AnonymousUser) -> bool:
    """Count one visit for the link's owner. Not counted: a hidden action, an unknown
    handle, the owner opening their own link, someone who pledged already."""
    if action.is_hidden or not ref_handle or len(ref_handle) > 40:
        return False
    sharer = get_profile(ref_handle)
    if sharer is None or sharer.user_id == viewer.pk:
        return False
    if viewer.is_authenticated and Pledge.objects.filter(action=action, user=viewer).exists():
        return False
    with transaction.atomic():
        # get_or_create survives a concurrent first visit; the update counts atomically.
        row, _ = ShareVisit.objects.get_or_create(action=action, sharer_id=sharer.user_id)
        ShareVisit.objects.filter(pk=row.pk).update(visits=F("visits") + 1)
        events.emit(events.ShareVisited(action.pk, sharer.user_id))
    return True
