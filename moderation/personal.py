"""Reports a person made are theirs to see in their export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from accounts import personal
from accounts.selectors import handle_of
from common.times import iso

from .models import Report


@personal.exporter
def export(user: User) -> dict[str, Any]:
    reports = Report.objects.filter(reporter=user).select_related("action", "person__profile").order_by("created_at")
    return {
        "reports_made": [
            {
                "about": f"action:{r.action.slug}" if r.action else f"person:{handle_of(r.person) if r.person else ''}",
                "reason": r.reason,
                "detail": r.detail,
                "created_at": iso(r.created_at),
                "resolved": r.resolved_at is not None,
            }
            for r in reports
        ]
    }
