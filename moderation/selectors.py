"""The moderators' queue: open reports, grouped by what they are about, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Count, Min
from django.utils import timezone

from actions.models import Action, Pledge, Visibility

from .models import Decision, Report


@dataclass(frozen=True)
class Case:
    """Everything open about one target."""

    action: Action | None
    person: User | None
    reports: int
    reasons: dict[str, int]
    details: list[str]
    first_reported: datetime
    pledged: int = 0

    @property
    def urgency(self) -> tuple[int, int, float]:
        """More reports, then more people pledged, then sooner (or live): first."""
        starts_in = (self.action.starts_at - timezone.now()).total_seconds() if self.action else 1e12
        return (-self.reports, -self.pledged, max(starts_in, 0))


def _reasons(reports: list[Report]) -> dict[str, int]:
    found: dict[str, int] = {}
    for report in reports:
        found[report.reason] = found.get(report.reason, 0) + 1
    return found


def queue(limit: int = 100) -> list[Case]:
    open_reports = Report.objects.filter(resolved_at__isnull=True)
    by_action = {
        row["action"]: row
        for row in open_reports.filter(action__isnull=False)
        .values("action")
        .annotate(n=Count("*"), first=Min("created_at"))
    }
    by_person = {
        row["person"]: row
        for row in open_reports.filter(person__isnull=False)
        .values("person")
        .annotate(n=Count("*"), first=Min("created_at"))
    }
    actions = Action.objects.select_related("organizer__profile").in_bulk(list(by_action))
    pledged = dict(
        Pledge.objects.filter(action_id__in=list(by_action)).values_list("action").annotate(n=Count("*")).order_by()
    )
    people = User.objects.select_related("profile").in_bulk(list(by_person))
    details: dict[tuple[str, int], list[Report]] = {}
    for report in open_reports.order_by("created_at"):
        key = ("action", report.action_id) if report.action_id else ("person", report.person_id)
        details.setdefault(key, []).append(report)  # type: ignore[arg-type]
    cases = [
        Case(
            action=actions[pk],
            person=None,
            reports=row["n"],
            reasons=_reasons(details.get(("action", pk), [])),
            details=[r.detail for r in details.get(("action", pk), []) if r.detail][:5],
            first_reported=row["first"],
            pledged=pledged.get(pk, 0),
        )
        for pk, row in by_action.items()
        if pk in actions
    ] + [
        Case(
            action=None,
            person=people[pk],
            reports=row["n"],
            reasons=_reasons(details.get(("person", pk), [])),
            details=[r.detail for r in details.get(("person", pk), []) if r.detail][:5],
            first_reported=row["first"],
        )
        for pk, row in by_person.items()
        if pk in people
    ]
    return sorted(cases, key=lambda case: case.urgency)[:limit]


def hidden_actions(limit: int = 50) -> list[Action]:
    return list(Action.objects.filter(visibility=Visibility.HIDDEN).select_related("organizer__profile")[:limit])


def recent_decisions(limit: int = 50) -> list[Decision]:
    return list(
        Decision.objects.select_related("moderator__profile", "action", "person__profile").order_by("-created_at")[
            :limit
        ]
    )
