"""The moderators' queue: open reports, grouped by what they are about, most urgent first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Count
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


def queue(limit: int = 100) -> list[Case]:
    """One pass over the open reports (grouped here, since their count, reasons, words and
    first date all come from the same rows), then the targets and pledge counts."""
    grouped: dict[tuple[str, int], list[Report]] = {}
    for report in Report.objects.filter(resolved_at__isnull=True).order_by("created_at"):
        key = ("action", report.action_id) if report.action_id else ("person", report.person_id)
        grouped.setdefault(key, []).append(report)  # type: ignore[arg-type]
    action_ids = [pk for kind, pk in grouped if kind == "action"]
    actions = Action.objects.select_related("organizer__profile").in_bulk(action_ids)
    people = User.objects.select_related("profile").in_bulk([pk for kind, pk in grouped if kind == "person"])
    pledged = dict(
        Pledge.objects.filter(action_id__in=action_ids).values_list("action").annotate(n=Count("*")).order_by()
    )
    cases = []
    for (kind, pk), reports in grouped.items():
        action, person = (actions.get(pk), None) if kind == "action" else (None, people.get(pk))
        if action is None and person is None:
            continue
        cases.append(
            Case(
                action=action,
                person=person,
                reports=len(reports),
                reasons=dict(Counter(report.reason for report in reports)),
                details=[report.detail for report in reports if report.detail][:5],
                first_reported=reports[0].created_at,
                pledged=pledged.get(pk, 0) if action else 0,
            )
        )
    return sorted(cases, key=lambda case: case.urgency)[:limit]


def hidden_actions(limit: int = 50) -> list[Action]:
    return list(Action.objects.filter(visibility=Visibility.HIDDEN).select_related("organizer__profile")[:limit])


def recent_decisions(limit: int = 50) -> list[Decision]:
    return list(
        Decision.objects.select_related("moderator__profile", "action", "person__profile").order_by("-created_at")[
            :limit
        ]
    )
