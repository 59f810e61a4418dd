"""Reports from anyone, decisions by moderators, every decision logged with its reason.

Hiding an action is the domain's own write (actions.services.hide_action: writes refused
with 410, every screen told); this app decides, logs and tells the organizer why.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import revocation
from accounts.models import Profile
from accounts.services import clean_name
from actions import services as actions
from actions.models import Action
from common.errors import Conflict, Forbidden, Invalid
from common.inputs import one_line

from .models import Decision, Kind, Reason, Report

MODERATE = "moderation.moderate"
DETAIL_MAX = 500
WHY_MAX = 500


def is_moderator(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm(MODERATE)


def require_moderator(user: User | AnonymousUser) -> None:
    if not is_moderator(user):
        raise Forbidden("forbidden", "Only moderators can do that.")


def _clean_report(reason: str, detail: str | None) -> tuple[str, str]:
    if reason not in Reason.values:
        raise Invalid("invalid", f"Pick a reason: {', '.join(Reason.values)}.", field="reason")
    detail = " ".join((detail or "").split())
    if len(detail) > DETAIL_MAX:
        raise Invalid("invalid", f"Say it in at most {DETAIL_MAX} characters.", field="detail")
    return reason, detail


def _file(report: Report) -> tuple[Report, bool]:
    """One report per person per target: a second one returns the first."""
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:
        target = {"action": report.action} if report.action_id else {"person": report.person}
        return Report.objects.get(reporter=report.reporter, **target), False
    return report, True


def report_action(reporter: User, action: Action, reason: str, detail: str | None = "") -> tuple[Report, bool]:
    reason, detail = _clean_report(reason, detail)
    return _file(Report(reporter=reporter, action=action, reason=reason, detail=detail))


def report_person(reporter: User, person: User, reason: str, detail: str | None = "") -> tuple[Report, bool]:
    if person.pk == reporter.pk:
        raise Conflict("self_report", "You cannot report yourself.")
    reason, detail = _clean_report(reason, detail)
    return _file(Report(reporter=reporter, person=person, reason=reason, detail=detail))


def _why(reason: str | None) -> str:
    return one_line(
        reason,
        field="reason",
        max_length=WHY_MAX,
        missing="Say why: the organizer and the log are told.",
        too_long=f"Say why in at most {WHY_MAX} characters.",
    )


def _decide(
    moderator: User, kind: Kind, why: str, *, action: Action | None = None, person: User | None = None
) -> Decision:
    decision = Decision.objects.create(moderator=moderator, kind=kind, reason=why, action=action, person=person)
    open_reports = Report.objects.filter(resolved_at__isnull=True)
    open_reports = open_reports.filter(action=action) if action is not None else open_reports.filter(person=person)
    open_reports.update(resolved_at=timezone.now())
    return decision


def hide(action: Action, moderator: User, reason: str | None) -> Decision:
    """Hidden at once: every screen of the action told, its writes refused with 410, and
    the organizer told why (on their feed through the domain's event, and by email)."""
    require_moderator(moderator)
    why = _why(reason)
    with transaction.atomic():
        actions.hide_action(action, why)
        decision = _decide(moderator, Kind.HIDE, why, action=action)
        transaction.on_commit(lambda: _tell_organizer(action, why), robust=True)
    return decision


def _tell_organizer(action: Action, why: str) -> None:
    organizer = action.organizer
    if not organizer.email:
        return
    body = (
        f"A moderator hid your action “{action.title}” on Good Mob.\n\n"
        f"Why: {why}\n\n"
        "It takes no more pledges, check-ins or deeds, and its pages say so. "
        "Reply to this email if you think it was a mistake."
    )
    send_mail(f"Your action “{action.title}” was hidden", body, None, [organizer.email])


def restore(action: Action, moderator: User, reason: str | None) -> Decision:
    require_moderator(moderator)
    why = _why(reason)
    with transaction.atomic():
        actions.restore_action(action)
        return _decide(moderator, Kind.RESTORE, why, action=action)


def dismiss(
    moderator: User, reason: str | None, *, action: Action | None = None, person: User | None = None
) -> Decision:
    """The reports about this target were looked at; nothing to do."""
    require_moderator(moderator)
    with transaction.atomic():
        return _decide(moderator, Kind.DISMISS, _why(reason), action=action, person=person)


def rename(person: User, new_name: str, moderator: User, reason: str | None) -> Decision:
    require_moderator(moderator)
    name, why = clean_name(new_name), _why(reason)
    with transaction.atomic():
        Profile.objects.filter(user=person).update(display_name=name)
        return _decide(moderator, Kind.RENAME, why, person=person)


def suspend(person: User, moderator: User, reason: str | None) -> Decision:
    """Its sessions and tokens stop working (inactive users are refused everywhere; the hot
    doors' token caches are emptied within a second: accounts/revocation.py)."""
    require_moderator(moderator)
    if person.pk == moderator.pk:
        raise Conflict("self_suspend", "You cannot suspend yourself.")
    why = _why(reason)
    with transaction.atomic():
        User.objects.filter(pk=person.pk).update(is_active=False)
        revocation.announce()
        return _decide(moderator, Kind.SUSPEND, why, person=person)
