"""The organizer's CSV export: no coordinates, ever."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.selectors import display_name
from common.times import iso

from .models import Action, Pledge


def spreadsheet_safe(text: str) -> str:
    # A name like "=HYPERLINK(...)" must stay text when the organizer opens the CSV.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_HEADER = ["display_name", "pledged_at", "checkin_status", "checkin_reason", "deed_done_at"]


def csv_rows(action: Action) -> Iterator[list[str]]:
    """Results export rows; no coordinates, ever."""
    yield CSV_HEADER
    pledges = Pledge.objects.filter(action=action).select_related("user__profile", "checkin").order_by("created_at")
    for p in pledges.iterator(chunk_size=1000):
        checkin = getattr(p, "checkin", None)
        yield [
            spreadsheet_safe(display_name(p.user)),
            iso(p.created_at),
            checkin.status if checkin else "",
            checkin.reason if checkin else "",
            iso(checkin.deed_done_at) if checkin and checkin.deed_done_at else "",
        ]
