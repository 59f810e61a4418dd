"""API: reports from anyone signed in; moderation for moderators only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.auth import BearerAuth, SessionAuth, caller
from accounts.selectors import get_profile
from actions.doors import find_action
from common import ratelimit
from common.errors import NotFound
from common.openapi import refusals
from common.times import iso

from . import selectors, services
from .models import Decision, Reason

router = Router(auth=[BearerAuth(), SessionAuth()])


class ReportIn(Schema):
    reason: Reason = Field(description="spam, danger, hate, privacy, offensive_name or other.")
    detail: str = Field("", max_length=services.DETAIL_MAX)


class ReportOut(Schema):
    id: int
    reason: str
    created: bool


class WhyIn(Schema):
    reason: str = Field(min_length=1, max_length=services.WHY_MAX, description="Told to the organizer and logged.")


class RenameIn(WhyIn):
    name: str = Field(min_length=1, max_length=60)


class DecisionOut(Schema):
    id: int
    kind: str
    reason: str
    created_at: str


class CaseOut(Schema):
    target: str = Field(description="`action:<slug>` or `person:<handle>`.")
    reports: int
    reasons: dict[str, int]
    pledged: int
    first_reported: str


def decided(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "kind": decision.kind,
        "reason": decision.reason,
        "created_at": iso(decision.created_at),
    }


def _report(request: HttpRequest) -> Any:
    user = caller(request)
    ratelimit.check("report", str(user.pk))
    return user


@router.post("/actions/{slug}/reports", response={200: ReportOut, 201: ReportOut, **refusals(404)}, tags=["safety"])
def report_action(request: HttpRequest, slug: str, payload: ReportIn) -> Status:
    """Report an action to the moderators. One report per person per action: 201 the first
    time, 200 with the same report after."""
    report, created = services.report_action(_report(request), find_action(slug), payload.reason, payload.detail)
    return Status(201 if created else 200, {"id": report.pk, "reason": report.reason, "created": created})


def _person(handle: str) -> Any:
    profile = get_profile(handle)
    if profile is None:
        raise NotFound("not_found", "No one has that handle.")
    return profile.user


@router.post(
    "/users/{handle}/reports", response={200: ReportOut, 201: ReportOut, **refusals(404, 409)}, tags=["safety"]
)
def report_person(request: HttpRequest, handle: str, payload: ReportIn) -> Status:
    """Report someone's display name. One report per person per person."""
    report, created = services.report_person(_report(request), _person(handle), payload.reason, payload.detail)
    return Status(201 if created else 200, {"id": report.pk, "reason": report.reason, "created": created})


@router.get("/moderation/queue", response={200: list[CaseOut], **refusals()}, tags=["moderation"])
def queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Open reports by target, most urgent first. Moderators only."""
    services.require_moderator(caller(request))
    return [
        {
            "target": f"action:{case.action.slug}" if case.action else f"person:{case.person.profile.handle}",  # type: ignore[union-attr]
            "reports": case.reports,
            "reasons": case.reasons,
            "pledged": case.pledged,
            "first_reported": iso(case.first_reported),
        }
        for case in selectors.queue()
    ]


@router.post("/moderation/actions/{slug}/hide", response={201: DecisionOut, **refusals(404, 409)}, tags=["moderation"])
def hide(request: HttpRequest, slug: str, payload: WhyIn) -> Status:
    """Hide an action at once: its screens are told, its writes refused with 410."""
    return Status(201, decided(services.hide(find_action(slug), caller(request), payload.reason)))


@router.post(
    "/moderation/actions/{slug}/restore", response={201: DecisionOut, **refusals(404, 409)}, tags=["moderation"]
)
def restore(request: HttpRequest, slug: str, payload: WhyIn) -> Status:
    """Show a hidden action again."""
    return Status(201, decided(services.restore(find_action(slug), caller(request), payload.reason)))


@router.post("/moderation/users/{handle}/rename", response={201: DecisionOut, **refusals(404)}, tags=["moderation"])
def rename(request: HttpRequest, handle: str, payload: RenameIn) -> Status:
    """Replace an offensive display name."""
    return Status(201, decided(services.rename(_person(handle), payload.name, caller(request), payload.reason)))


@router.post(
    "/moderation/users/{handle}/suspend", response={201: DecisionOut, **refusals(404, 409)}, tags=["moderation"]
)
def suspend(request: HttpRequest, handle: str, payload: WhyIn) -> Status:
    """Suspend an account: its sessions and tokens stop working."""
    return Status(201, decided(services.suspend(_person(handle), caller(request), payload.reason)))
