"""What the domain holds about a person, for their export and their deletion."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from accounts import personal
from common.times import iso, iso_or_none

from .models import Action, CheckIn, Pledge, Receipt


@personal.exporter
def export(user: User) -> dict[str, Any]:
    pledges = Pledge.objects.filter(user=user).select_related("action", "referrer__profile", "checkin")
    return {
        "actions_organized": [
            {"slug": a.slug, "title": a.title, "deed": a.deed, "starts_at": iso(a.starts_at), "status": a.status}
            for a in Action.objects.filter(organizer=user).order_by("starts_at")
        ],
        "pledges": [_pledge(p) for p in pledges.order_by("created_at")],
        "receipts": [
            {"payload": r.payload, "signature": r.signature}
            for r in Receipt.objects.filter(checkin__pledge__user=user).order_by("created_at")
        ],
    }


def _pledge(made: Pledge) -> dict[str, Any]:
    checkin = getattr(made, "checkin", None)
    referrer = made.referrer.profile.handle if made.referrer and hasattr(made.referrer, "profile") else None
    return {
        "action": made.action.slug,
        "title": made.action.title,
        "pledged_at": iso(made.created_at),
        "brought_by": referrer,
        "checkin": None
        if checkin is None
        else {
            "status": checkin.status,
            "reason": checkin.reason,
            "received_at": iso(checkin.received_at),
            # Precise until the retention sweep drops them; then only the band stays.
            "lat": checkin.lat,
            "lon": checkin.lon,
            "accuracy_m": checkin.accuracy_m,
            "distance_m": checkin.distance_m,
            "distance_band_m": checkin.distance_band_m,
            "cell": checkin.cell,
            "deed_done_at": iso_or_none(checkin.deed_done_at),
        },
    }


@personal.eraser
def erase(user: User) -> None:
    """Pledges, check-ins and deeds stay (tallies count them); where they were does not."""
    Receipt.objects.filter(checkin__pledge__user=user).delete()  # they name the holder
    CheckIn.objects.filter(pledge__user=user).update(
        lat=None, lon=None, accuracy_m=None, distance_m=None, on_public_map=False
    )
