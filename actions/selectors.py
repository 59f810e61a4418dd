"""Readers of the domain (queries and the shapes built from them). `snapshot` is the one
shape shared by the page, the socket and the API; protocol.py holds its schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Profile
from accounts.selectors import handle_of, person
from common.sql import placeholders
from common.times import iso

from . import cascade, counting, geo, rules
from .models import Action, Announcement, CheckIn, CheckInStatus, CoOrganizer, Momentum, Phase, Pledge, Raid, Visibility
from .rules import HIDDEN_DETAIL, TRACK_RECORD_DEEDS

RECENT_PLEDGES = 12
RECENT_DEEDS = 10
RECENT_MESSAGES = 3

VERDICT_WORDS = {
    "verified": _("You're checked in. Go do the deed!"),
    "pending": _("Checking your location…"),
    "not_live": _("Check-ins count only while the action is live."),
    "poor_accuracy": _("Your location is too vague. Step into the open or turn on precise location, then try again."),
    "no_location": _("We need your location to check you in here."),
    "implausible": _("Your phone reported an impossible location. Try again."),
    "code_wrong": _("That is not this action's code. Read the code off this action's screen at the spot."),
    "code_expired": _("That code is more than a minute old. Type the one on the screen now."),
}
LATE_WORDS = _("Sent once you had signal: your check-in from the spot counts. Go do the deed!")


def counts(action: Action, found: counting.Tally | None = None) -> dict[str, int]:
    found = found if found is not None else counting.tally(action)
    return {"pledged": found.pledged, "checked_in": found.checked_in, "deeds": found.deeds, "goal": action.goal}


def action_fields(action: Action) -> dict[str, Any]:
    return {
        "slug": action.slug,
        "join_code": action.join_code,
        "title": action.title,
        "deed": action.deed,
        "place_name": action.place_name,
        "lat": action.lat,
        "lon": action.lon,
        "radius_m": action.radius_m,
        "goal": action.goal,
        "capacity": action.capacity,
        "status": action.status,
        "organizer": person(action.organizer),
        "url": action.get_absolute_url(),
        "dashboard_url": f"{action.get_absolute_url()}/live",
    }


def share_path(action: Action, handle: str) -> str:
    """The participant's own link: whoever joins through it counts as brought by them."""
    return f"{action.get_absolute_url()}?ref={handle}"


def newest_pledges(action: Action) -> QuerySet[Pledge]:
    """The snapshot's newest pledgers, read through the index in this order (models.Pledge)."""
    return (
        Pledge.objects.filter(action=action)
        .select_related("user__profile")
        .order_by("-created_at", "-id")[:RECENT_PLEDGES]
    )


def snapshot(action: Action, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    # The counts say which parts are there; a part that is not costs no query.
    found = counting.tally(action)
    recent_deeds = (
        CheckIn.objects.filter(action=action, deed_done_at__isnull=False, status=CheckInStatus.VERIFIED)
        .select_related("pledge__user__profile")
        .order_by("-deed_done_at")[:RECENT_DEEDS]
        if found.deeds
        else []
    )
    messages = action.announcements.order_by("-created_at")[:RECENT_MESSAGES] if found.has_messages else []
    return {
        "type": "snapshot",
        "action": action_fields(action),
        "phase": action.phase_at(now),
        "starts_at": iso(action.starts_at),
        "ends_at": iso(action.ends_at),
        "server_now": iso(now),
        "counts": counts(action, found),
        "recent_pledges": [person(p.user) for p in newest_pledges(action)] if found.pledged else [],
        "recent_deeds": [{**person(c.pledge.user), "at": iso(c.deed_done_at)} for c in recent_deeds if c.deed_done_at],
        "cells": public_cells(action) if found.has_public_cells else [],
        "messages": [announcement_message(m) for m in messages],
        "co_organizers": [person(c.user) for c in co_organizers(action)] if found.has_co_organizers else [],
        "spotlight": spotlight_items(action, now) if found.has_spotlights else [],
        "raid": raid_target(action, now) if found.has_raid else None,
        "momentum": momentum_state(action) if found.has_momentum else None,
        "movement": movement_ref(action),
        "seq": action.seq,
    }


def movement_ref(action: Action) -> dict[str, Any] | None:
    if action.movement_id is None:
        return None
    return {"id": action.movement_id, "url": reverse("movement", args=[action.movement_id])}


def co_organizers(action: Action, *, invited: bool = False) -> QuerySet[CoOrganizer]:
    """Those who accepted (and, with `invited`, those still invited), oldest first."""
    rows = CoOrganizer.objects.filter(action=action).select_related("user__profile").order_by("invited_at", "pk")
    return rows if invited else rows.filter(accepted_at__isnull=False)


def spotlight_items(action: Action, now: datetime | None = None) -> list[dict[str, Any]]:
    """The spotlighted actions still worth a tap: visible and open (one hidden or ended
    since it was chosen drops out by itself)."""
    now = now or timezone.now()
    targets = open_actions(now).filter(spotlighted_by__action=action).order_by("spotlighted_by__position")
    return [feed_item(target, now) for target in targets]


def spotlight_message(action: Action) -> dict[str, Any]:
    return {"type": "spotlight", "slug": action.slug, "actions": spotlight_items(action)}


def raid_target(action: Action, now: datetime | None = None) -> dict[str, Any] | None:
    raid = Raid.objects.filter(source=action, target__visibility=Visibility.PUBLIC).select_related(
        "target__organizer__profile"
    )
    found = raid.first()
    return feed_item(found.target, now) if found else None


MOMENTUM_FIELDS = ("deeds", "within_minutes", "add_minutes", "cap_minutes", "level", "added_minutes")


def momentum_state(action: Action) -> dict[str, int] | None:
    found = Momentum.objects.filter(action=action).first()
    return {name: getattr(found, name) for name in MOMENTUM_FIELDS} if found else None


def level_message(action: Action, level: int, added_minutes: int) -> dict[str, Any]:
    return {
        "type": "level",
        "slug": action.slug,
        "level": level,
        "added_minutes": added_minutes,
        "ends_at": iso(action.ends_at),
        "server_now": iso(timezone.now()),
    }


def raid_message(raid: Raid) -> dict[str, Any]:
    return {"type": "raid", "slug": raid.source.slug, "to": feed_item(raid.target), "at": iso(raid.at)}


def attention(action: Action) -> dict[str, dict[str, int]]:
    """People this action passed on to others (spotlight and raid) and how many did the
    deed there; and those other actions passed on to it."""
    deed = Q(checkin__status=CheckInStatus.VERIFIED, checkin__deed_done_at__isnull=False)
    given = Pledge.objects.filter(Q(via_raid__source=action) | Q(via_spotlight=action))
    received = Pledge.objects.filter(action=action).filter(Q(via_raid__isnull=False) | Q(via_spotlight__isnull=False))
    return {
        name: rows.aggregate(people=Count("pk"), deeds=Count("pk", filter=deed))
        for name, rows in (("given", given), ("received", received))
    }


def invitation_for(action: Action, user: User | AnonymousUser) -> CoOrganizer | None:
    """The person's invitation to co-organize, while they have not accepted it."""
    if not user.is_authenticated:
        return None
    return CoOrganizer.objects.filter(action=action, user_id=user.pk, accepted_at__isnull=True).first()


def public_cells(action: Action) -> list[dict[str, Any]]:
    """The public map: coarse areas of enough established people (geo.public_areas); never
    a point, and never a cell that throwaway accounts could light up around someone."""
    rows = (
        CheckIn.objects.filter(action=action, on_public_map=True)
        .values_list("cell")
        .annotate(people=Count("*"))
        .order_by()
    )
    areas = geo.public_areas(dict(rows))[:200]
    return [{**geo.cell_shape(cell), "people": people} for cell, people in areas]


def announcement_message(made: Announcement) -> dict[str, Any]:
    return {"type": "message", "id": made.pk, "slug": made.action.slug, "text": made.text, "at": iso(made.created_at)}


class VerdictView(NamedTuple):
    """The columns of a check-in that its verdict frame reads."""

    pk: int
    status: str
    reason: str
    distance_m: float | None
    deed_done_at: datetime | None
    method: str
    synced_late: bool


class VerdictPlace(NamedTuple):
    """What a verdict frame says of its action: read with the check-ins, not apart."""

    slug: str
    radius_m: int | None


# Each check-in by its primary key, and its person and language by theirs as sub-selects,
# which the planner cannot turn into joins. The ORM's joins cost PostgreSQL 4.4 ms a round
# at 20,000 people without statistics (it read all the action's check-ins through the
# action's index) and 3.8 with them (it hashed every pledge of the action), growing with
# the crowd; this, 0.8 ms with statistics. The worker's CPU fell from 2.4 to 1.3 ms a round.
# The action is checked in Python: in SQL it invites the action's index again.
VERDICT_ROWS_SQL = f"""
SELECT c.action_id, (SELECT slug FROM {Action._meta.db_table} WHERE id = %s),
       (SELECT radius_m FROM {Action._meta.db_table} WHERE id = %s),
       (SELECT user_id FROM {Pledge._meta.db_table} WHERE id = c.pledge_id),
       (SELECT f.language FROM {Profile._meta.db_table} f JOIN {Pledge._meta.db_table} p ON f.user_id = p.user_id
        WHERE p.id = c.pledge_id),
       c.id, c.status, c.reason, c.distance_m, c.deed_done_at, c.method, c.synced_late
FROM {CheckIn._meta.db_table} c WHERE c.id IN """


def verdict_frames(action_id: int, checkin_ids: tuple[int, ...]) -> list[tuple[int, dict[str, Any]]]:
    """(user id, frame) of each check-in's verdict, in the language its person last used
    the site in: one query of plain columns (the action's too: re-reading it cost as much
    as this), one language switch per language."""
    if not checkin_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"{VERDICT_ROWS_SQL}({placeholders(checkin_ids)})", [action_id, action_id, *checkin_ids])
        rows = [row for row in cursor.fetchall() if row[0] == action_id]
    if not rows:
        return []
    place = VerdictPlace(*rows[0][1:3])
    by_language: dict[str, list[tuple[int, VerdictView]]] = {}
    for row in rows:
        user_id, language = row[3:5]
        # deed_done_at is naive on SQLite: only whether it is set is read.
        by_language.setdefault(language or "", []).append((user_id, VerdictView(*row[5:])))
    frames = []
    for language, people in by_language.items():
        views = [view for _, view in people]
        with translation.override(language or None):
            details = verdict_details(place, views)
        frames += [
            (user_id, checkin_message(place, view, detail))
            for (user_id, view), detail in zip(people, details, strict=True)
        ]
    return frames


def verdict_detail(action: Action | VerdictPlace, checkin: CheckIn | VerdictView) -> str:
    if checkin.status == CheckInStatus.REJECTED and checkin.reason == "too_far" and checkin.distance_m is not None:
        return str(_("You're about %(away)s m from the spot. Get within %(radius)s m and try again.")) % {
            "away": f"{round(checkin.distance_m):,}",
            "radius": f"{action.radius_m:,}",
        }
    if checkin.status == CheckInStatus.VERIFIED and checkin.synced_late:
        return str(LATE_WORDS)
    return str(VERDICT_WORDS.get(checkin.reason or checkin.status, _("Check-in rejected. Try again.")))


def checkin_state(
    action: Action | VerdictPlace, checkin: CheckIn | VerdictView, detail: str | None = None
) -> dict[str, Any]:
    return {
        "id": checkin.pk,
        "slug": action.slug,
        "status": checkin.status,
        "reason": checkin.reason,
        "detail": verdict_detail(action, checkin) if detail is None else detail,
        "distance_m": round(checkin.distance_m) if checkin.distance_m is not None else None,
        "deed_done": checkin.deed_done_at is not None,
        "method": checkin.method,
        "synced_late": checkin.synced_late,
    }


def verdict_details(action: Action | VerdictPlace, checkins: Sequence[CheckIn | VerdictView]) -> list[str]:
    """`verdict_detail` of each, in the language now active, each kind of verdict put into
    words once: a batch's answers and a round's frames mostly say the same, and the words
    (a translation lookup) were most of an answer's cost (12 of 15 µs)."""
    said: dict[tuple[str, str, float | None, bool], str] = {}
    details = []
    for checkin in checkins:
        kind = (checkin.status, checkin.reason, checkin.distance_m, checkin.synced_late)
        if kind not in said:
            said[kind] = verdict_detail(action, checkin)
        details.append(said[kind])
    return details


def checkin_message(
    action: Action | VerdictPlace, checkin: CheckIn | VerdictView, detail: str | None = None
) -> dict[str, Any]:
    return {"type": "checkin", **checkin_state(action, checkin, detail)}


def my_state(action: Action, user: User | AnonymousUser) -> dict[str, Any]:
    """What this person's own screen needs beyond the shared snapshot."""
    pledge = pledge_of(action, user)
    checkin = CheckIn.objects.filter(pledge=pledge).first() if pledge else None
    return {
        "pledged": pledge is not None,
        "handle": handle_of(user) if user.is_authenticated else None,
        "checkin": checkin_state(action, checkin) if checkin else None,
        "branch": cascade.own_branch(pledge) if pledge else None,
    }


def funnel(action: Action) -> dict[str, Any]:
    """The organizer's view: counts plus what is pending and why people were refused."""
    statuses = dict(CheckIn.objects.filter(action=action).values_list("status").annotate(n=Count("*")).order_by())
    reasons = dict(
        CheckIn.objects.filter(action=action, status=CheckInStatus.REJECTED)
        .values_list("reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        **counts(action),
        "pending": statuses.get(CheckInStatus.PENDING, 0),
        "rejected": reasons,
        "verified_by": verified_by(action),
    }


PARTICIPANTS_SHOWN = 200


def participants(action: Action, limit: int = PARTICIPANTS_SHOWN) -> list[dict[str, Any]]:
    """The organizer's live list: each person's stage (pledged, checking, refused, here,
    done), how they were verified or why refused, and when they last moved; latest first."""
    pledges = (
        Pledge.objects.filter(action=action)
        .select_related("user__profile", "checkin")
        .annotate(moved=Coalesce("checkin__deed_done_at", "checkin__received_at", "created_at"))
        .order_by("-moved", "-id")[:limit]
    )
    rows = []
    for made in pledges:
        checkin = getattr(made, "checkin", None)
        if checkin is None:
            stage = "pledged"
        elif checkin.status == CheckInStatus.PENDING:
            stage = "checking"
        elif checkin.status == CheckInStatus.REJECTED:
            stage = "refused"
        else:
            stage = "done" if checkin.deed_done_at else "here"
        rows.append(
            {
                **person(made.user),
                "stage": stage,
                "method": checkin.method if checkin else "",
                "reason": checkin.reason if checkin and stage == "refused" else "",
                "synced_late": bool(checkin and checkin.synced_late),
                "at": iso(made.moved),
            }
        )
    return rows


def verified_by(action: Action) -> dict[str, int]:
    """How the verified check-ins were verified (gps, code, gps+code, anywhere), and how
    many of them were tapped offline and synced after the end (synced_late)."""
    verified = CheckIn.objects.filter(action=action, status=CheckInStatus.VERIFIED)
    methods = dict(verified.values_list("method").annotate(n=Count("id")).order_by())
    late = verified.filter(synced_late=True).count()
    return {**{method: n for method, n in methods.items() if method}, **({"synced_late": late} if late else {})}


def top_referrers(action: Action, limit: int = 10) -> list[dict[str, Any]]:
    """The people whose links brought the most deeds, among those who allow their name
    in the cascade (the others count in it under a pseudonym only)."""
    rows = (
        Pledge.objects.filter(action=action, referrer__profile__named_in_cascade=True)
        .values("referrer")
        .annotate(
            brought=Count("id"),
            deeds=Count("id", filter=Q(checkin__status=CheckInStatus.VERIFIED, checkin__deed_done_at__isnull=False)),
        )
        .order_by("-deeds", "-brought")[:limit]
    )
    people = {p.user_id: p for p in Profile.objects.filter(user_id__in=[r["referrer"] for r in rows])}
    return [
        {
            "handle": people[r["referrer"]].handle,
            "name": people[r["referrer"]].display_name,
            "brought": r["brought"],
            "deeds": r["deeds"],
        }
        for r in rows
        if r["referrer"] in people
    ]


def moderated_message(action: Action, why: str) -> dict[str, Any]:
    return {"type": "moderated", "slug": action.slug, "detail": HIDDEN_DETAIL, "why": why}


def phase_message(action: Action, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "type": "phase",
        "slug": action.slug,
        "phase": action.phase_at(now),
        "starts_at": iso(action.starts_at),
        "ends_at": iso(action.ends_at),
        "server_now": iso(now),
    }


def launch_message(action: Action) -> dict[str, Any]:
    return {"type": "launch", "action": feed_item(action)}


def pledge_message(made: Pledge) -> dict[str, Any]:
    """To the pledger's followers: who joined which action."""
    return {"type": "pledge", "slug": made.action.slug, **person(made.user)}


def publicly_listed(now: datetime | None = None) -> QuerySet[Action]:
    """Open actions whose organizers have a track record: what strangers may be shown.
    Followers see every launch of the people they follow."""
    now = now or timezone.now()
    return with_track_record(open_actions(now), now)


def with_track_record(actions: QuerySet[Action], now: datetime) -> QuerySet[Action]:
    """Those of `actions` led, or co-organized, by someone with a track record."""
    vouched_co_organizer = CoOrganizer.objects.filter(action=OuterRef("pk"), accepted_at__isnull=False).filter(
        track_record(OuterRef("user"), now)
    )
    return actions.filter(track_record(OuterRef("organizer"), now) | Exists(vouched_co_organizer))


def track_record(user: OuterRef, now: datetime) -> Q:
    """The person `user` (an outer reference) has a track record (rules.TRACK_RECORD_DEEDS):
    a moderator vouched for them, they did a verified deed on someone else's action, or an
    earlier action of theirs gathered enough verified deeds."""
    their_deeds = Q(checkins__status=CheckInStatus.VERIFIED, checkins__deed_done_at__isnull=False)
    vouched = Profile.objects.filter(user=user, trusted=True)
    helped_elsewhere = CheckIn.objects.filter(
        status=CheckInStatus.VERIFIED, deed_done_at__isnull=False, pledge__user=user
    ).exclude(action__organizer=user)
    led_before = (
        Action.objects.filter(organizer=user, ends_at__lt=now)
        .annotate(deeds=Count("checkins", filter=their_deeds))
        .filter(deeds__gte=TRACK_RECORD_DEEDS)
    )
    return Q(Exists(vouched)) | Q(Exists(helped_elsewhere)) | Q(Exists(led_before))


def has_track_record(user: User, now: datetime) -> bool:
    return User.objects.filter(pk=user.pk).filter(track_record(OuterRef("pk"), now)).exists()


def feed_item(action: Action, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        **action_fields(action),
        "phase": action.phase_at(now),
        "starts_at": iso(action.starts_at),
        "ends_at": iso(action.ends_at),
    }


def get_action(slug: str) -> Action | None:
    return Action.objects.select_related("organizer__profile").filter(slug=slug).first()


def get_action_by_code(code: str) -> Action | None:
    code = rules.normalize_join_code(code)
    if len(code) != rules.JOIN_CODE_LENGTH:
        return None
    return Action.objects.select_related("organizer__profile").filter(join_code=code).first()


def open_actions(now: datetime | None = None) -> QuerySet[Action]:
    now = now or timezone.now()
    return (
        Action.objects.select_related("organizer__profile")
        .filter(status__in=[Phase.SCHEDULED, Phase.LIVE], ends_at__gt=now, visibility=Visibility.PUBLIC)
        .order_by("starts_at")
    )


def in_phase(phase: str | None, now: datetime) -> QuerySet[Action]:
    """Visible actions the clock says are `upcoming`, `live` or `ended` (None: the first
    two); soonest first, or for ended ones the latest first. Cancelled ones never."""
    if phase == "ended":
        ended = Q(status=Phase.ENDED) | Q(status__in=[Phase.SCHEDULED, Phase.LIVE], ends_at__lte=now)
        visible = Action.objects.select_related("organizer__profile").filter(visibility=Visibility.PUBLIC)
        return visible.filter(ended).order_by("-ends_at")
    rows = open_actions(now)
    if phase == "upcoming":
        return rows.filter(starts_at__gt=now)
    if phase == "live":
        return rows.filter(starts_at__lte=now)
    return rows


def actions_by(user: User, limit: int = 30) -> list[Action]:
    return list(
        Action.objects.filter(organizer=user, visibility=Visibility.PUBLIC)
        .select_related("organizer__profile")
        .order_by("-starts_at")[:limit]
    )


def pledge_of(action: Action, user: User | AnonymousUser) -> Pledge | None:
    if not user.is_authenticated:
        return None
    return Pledge.objects.filter(action=action, user=user).first()


def actions_due(now: datetime) -> QuerySet[Action]:
    """Actions whose stored status lags the clock."""
    return Action.objects.filter(Q(status=Phase.SCHEDULED, starts_at__lte=now) | Q(status=Phase.LIVE, ends_at__lte=now))


def recently_live(now: datetime) -> QuerySet[Action]:
    """Live now or ended in the last few minutes (late verdicts still move their counts)."""
    return Action.objects.filter(starts_at__lte=now, ends_at__gte=now - timedelta(minutes=5)).exclude(
        status=Phase.CANCELLED
    )


def count_per(rows: QuerySet[Any], by: str) -> Any:
    """A correlated COUNT(*) of `rows` grouped by the field `by` (0 when none)."""
    counted = rows.order_by().values(by).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted), 0)


def impact(user: User) -> dict[str, int]:
    """A person's record, computed from rows in one query: deeds verified, actions
    organized and the verified deeds they gathered, people brought by their link, and
    attention: people their actions passed on to others by spotlight or raid (given),
    and people others passed on to their actions (received)."""
    deed = Q(status=CheckInStatus.VERIFIED, deed_done_at__isnull=False)
    me = OuterRef("pk")
    record = (
        User.objects.filter(pk=user.pk)
        .annotate(
            deeds=count_per(CheckIn.objects.filter(deed, pledge__user=me), "pledge__user"),
            organized=count_per(Action.objects.filter(organizer=me), "organizer"),
            organized_deeds=count_per(CheckIn.objects.filter(deed, action__organizer=me), "action__organizer"),
            brought=count_per(Pledge.objects.filter(referrer=me), "referrer"),
            given_by_raid=count_per(
                Pledge.objects.filter(via_raid__source__organizer=me), "via_raid__source__organizer"
            ),
            given_by_spotlight=count_per(
                Pledge.objects.filter(via_spotlight__organizer=me), "via_spotlight__organizer"
            ),
            attention_received=count_per(
                Pledge.objects.filter(Q(via_raid__isnull=False) | Q(via_spotlight__isnull=False), action__organizer=me),
                "action__organizer",
            ),
        )
        .values(*IMPACT_FIELDS[:4], "given_by_raid", "given_by_spotlight", "attention_received")
        .first()
    )
    if record is None:
        return dict.fromkeys(IMPACT_FIELDS, 0)
    record["attention_given"] = record.pop("given_by_raid") + record.pop("given_by_spotlight")
    return {name: record[name] for name in IMPACT_FIELDS}


IMPACT_FIELDS = ("deeds", "organized", "organized_deeds", "brought", "attention_given", "attention_received")
