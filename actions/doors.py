"""The bodies of the hot endpoints (pledge, check-in, deed), which both HTTP doors call:
the django-ninja views (browsers with a session, and the OpenAPI document) and the edge
door in front of Django for bearer-token callers (edge/door.py).

Check-ins are group-committed: every check-in that arrives while a batch is running
joins the next one, which costs one token query, one rate-limit round trip and one
insert statement per action. Their domain events are dispatched on a background thread,
so the answers do not wait on queueing the verification.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from accounts.auth import users_for_tokens
from accounts.selectors import handle_of
from common import metrics, ratelimit
from common.errors import UNAUTHORIZED, NotFound, ServiceError
from common.pool import GroupCommit, run_in_background

from . import events, rules, selectors, services
from .models import Action
from .schemas import CheckInIn, PledgeIn

# A hot answer: (status, body) for success, or the refusal itself (it carries its headers).
Answer = tuple[int, dict[str, Any]] | ServiceError


def find_action(slug: str) -> Action:
    action = selectors.get_action(slug)
    if action is None:
        raise NotFound("not_found", "No action has that slug.")
    return action


def visible_action(slug: str) -> Action:
    """For reads: a hidden action is gone (410) for everyone."""
    action = find_action(slug)
    rules.check_visible(action)
    return action


# The hot path reads the action once a second per process instead of once a request.
# A cancel or an early end can take that long to reach this door; the verifier reads
# the row fresh, so such a check-in is stored and then rejected as not_live.
ACTION_TTL = 1.0
_actions: dict[str, tuple[float, Action]] = {}


def recent_action(slug: str) -> Action:
    now = time.monotonic()
    hit = _actions.get(slug)
    if hit is not None and hit[0] > now:
        return hit[1]
    action = find_action(slug)
    if len(_actions) > 10_000:
        _actions.clear()
    _actions[slug] = (now + ACTION_TTL, action)
    return action


def pledge_as(user: User, slug: str, payload: PledgeIn | None, site: str) -> tuple[int, dict[str, Any]]:
    action = find_action(slug)
    ratelimit.check("pledge", str(user.pk))
    came_from = services.Attention(payload.via_raid, payload.via_spotlight) if payload else None
    made, created = services.pledge(action, user, ref_handle=payload.ref if payload else None, came_from=came_from)
    handle = handle_of(user)
    return 201 if created else 200, {
        "action": action.slug,
        "handle": handle,
        "pledged_at": selectors.iso(made.created_at),
        "share_url": site + selectors.share_path(action, handle),
    }


@dataclass(frozen=True)
class CheckInCall:
    slug: str
    payload: CheckInIn
    user: User | None = None  # a signed-in browser's user, or
    token: str | None = None  # a bearer token, looked up with the rest of the batch


def check_in_batch(calls: list[CheckInCall]) -> list[Answer]:
    """Every check-in that arrived meanwhile: one token query, one rate-limit round trip
    and one insert statement per action, instead of each per request."""
    users = users_for_tokens([call.token for call in calls if call.user is None and call.token])
    answers: list[Answer] = [UNAUTHORIZED] * len(calls)
    by_slug: dict[str, list[tuple[int, User]]] = {}
    for n, call in enumerate(calls):
        user = call.user or users.get(call.token or "")
        if user is not None:
            by_slug.setdefault(call.slug, []).append((n, user))
    for slug, people in by_slug.items():
        try:
            action = recent_action(slug)
        except ServiceError as exc:
            for n, _ in people:
                answers[n] = exc
            continue
        allowed = []
        refusals = ratelimit.refusals("checkin", [str(user.pk) for _, user in people])
        for (n, user), refusal in zip(people, refusals, strict=True):
            if refusal is None:
                allowed.append((n, user))
            else:
                answers[n] = refusal
        entries = [(user, rules.CheckInInput(**calls[n].payload.model_dump())) for n, user in allowed]
        with events.dispatch_with(run_in_background):
            results = services.check_in_many(action, entries)
        stored = [r for r in results if not isinstance(r, ServiceError)]
        details = iter(selectors.verdict_details(action, stored))
        for (n, _), result in zip(allowed, results, strict=True):
            if isinstance(result, ServiceError):
                answers[n] = result
            else:
                answers[n] = (202, selectors.checkin_state(action, result, next(details)))
        metrics.CHECKINS_ACCEPTED.inc(len(stored))
    return answers


checkin_writes = GroupCommit(
    check_in_batch,
    in_flight=settings.CHECKIN_BATCHES_IN_FLIGHT,
    size=500,
    fill=settings.CHECKIN_BATCH_FILL,
    linger=settings.CHECKIN_BATCH_LINGER_MS / 1000,
)


def deed_as(user: User, slug: str, payload: None = None, site: str = "") -> tuple[int, dict[str, Any]]:
    action = find_action(slug)
    ratelimit.check("deed", str(user.pk))
    checkin, created = services.mark_deed_done(action, user)
    return 201 if created else 200, selectors.checkin_state(action, checkin)
