"""The hot endpoints: a crowd checking in at one moment.

The bodies of the pledge, check-in and deed endpoints live here as plain functions of
(user, slug, payload, site), so two front doors share them: the django-ninja views
(browsers with a session, and the OpenAPI document) and `HotRoutes`, a small ASGI
handler in front of Django for bearer-token callers.

Why a second door: Django's ASGI handler gives every request its own thread-sensitive
context; its signal receivers and `response.close()` start a thread per request, and
asgiref starts another from the event loop to join it. Under a crowd the event loop
spends its time waiting on `Thread.start()` (seen with py-spy), and throughput fell
to a few dozen check-ins a second. HotRoutes does what Django's cycle would do for
these three routes (host check, body limit, auth, validation, the service call on the
hot pool, JSON errors) without that per-request machinery.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host
from ninja import Field, Schema
from pydantic import ValidationError

from . import inputs, ratelimit, selectors, services
from .auth import bearer_from_headers, cached_user_for_token, users_for_tokens
from .errors import NotFound, ServiceError, database_unavailable, first_error_sentence
from .hotpath import GroupCommit, hot
from .models import Action

log = logging.getLogger(__name__)


# A hot answer: (status, body) for success, or the refusal itself (it carries its headers).
Answer = tuple[int, dict[str, Any]] | ServiceError


def problem(status: int, code: str, detail: str) -> ServiceError:
    return ServiceError(code, detail, status=status)


UNAUTHORIZED = problem(401, "unauthorized", "Sign in, join as a guest, or send a bearer token.")


# At least one character that is not a space (JSON Schema patterns match anywhere).
SOME_TEXT = r"\S"
# Strict: a JSON number, never a boolean or a numeric string.
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]


class PledgeIn(Schema):
    ref: str | None = Field(None, max_length=40, description="The handle of whoever shared the link.")


class CheckInIn(Schema):
    lat: Latitude | None = None
    lon: Longitude | None = None
    accuracy_m: float | None = Field(None, strict=True, ge=0, le=1_000_000)
    idempotency_key: str = Field(min_length=8, max_length=80, description="A fresh one per attempt.")


def find_action(slug: str) -> Action:
    action = selectors.get_action(slug)
    if action is None:
        raise NotFound("not_found", "No action has that slug.")
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
    made, created = services.pledge(action, user, ref_handle=payload.ref if payload else None)
    handle = selectors.handle_of(user)
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
        entries = [(user, services.CheckInInput(**calls[n].payload.dict())) for n, user in allowed]
        for (n, _), result in zip(allowed, services.check_in_many(action, entries), strict=True):
            answers[n] = result if isinstance(result, ServiceError) else (202, selectors.checkin_state(action, result))
    return answers


checkin_writes = GroupCommit(check_in_batch, in_flight=settings.CHECKIN_BATCHES_IN_FLIGHT, size=500)


def deed_as(user: User, slug: str, payload: None, site: str) -> tuple[int, dict[str, Any]]:
    action = find_action(slug)
    ratelimit.check("deed", str(user.pk))
    checkin, created = services.mark_deed_done(action, user)
    return 201 if created else 200, selectors.checkin_state(action, checkin)


ROUTE = re.compile(r"^/api/v1/actions/(?P<slug>[-a-zA-Z0-9_]+)/(?P<what>checkins|pledges|deeds)$")
# Check-ins have no per-request function: they go to `checkin_writes`, whose batch also
# looks up their tokens.
HANDLERS = {"checkins": (None, CheckInIn), "pledges": (pledge_as, PledgeIn), "deeds": (deed_as, None)}


class HotRoutes:
    """ASGI: bearer-token POSTs to the hot endpoints; everything else goes to Django."""

    def __init__(self, django_app: Any) -> None:
        self.django = django_app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = ROUTE.match(scope["path"])
            headers = scope.get("headers", [])
            token = bearer_from_headers(headers) if match else None
            if token and self._secure_enough(scope):
                await self._respond(send, await self._handle(match, token, scope, receive))
                return
        await self.django(scope, receive, send)

    @staticmethod
    def _secure_enough(scope: dict) -> bool:
        # Where HTTPS is enforced, let Django answer plain-HTTP requests (it redirects).
        if not getattr(settings, "SECURE_SSL_REDIRECT", False):
            return True
        proto = dict(scope.get("headers", [])).get(b"x-forwarded-proto", b"").decode()
        return scope.get("scheme") == "https" or proto == "https"

    async def _handle(self, match: re.Match, token: str, scope: dict, receive: Any) -> Answer:
        headers = dict(scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        domain, _ = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return problem(400, "bad_request", "That host is not served here.")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return problem(413, "too_large", "The request body is too large.")
            if not message.get("more_body"):
                break
        function, schema = HANDLERS[match["what"]]
        user = None
        if function is not None:
            user = await cached_user_for_token(token)
            if user is None:
                return UNAUTHORIZED
        try:
            payload = schema.model_validate(inputs.loads_body(body)) if schema is not None else None
        except (ServiceError, ValidationError) as exc:
            # Who you are before what you sent, as Django's door answers. Check-ins look
            # tokens up in their batch, so only this rare path asks here.
            if user is None and await cached_user_for_token(token) is None:
                return UNAUTHORIZED
            return exc if isinstance(exc, ServiceError) else problem(422, "invalid", first_error_sentence(exc.errors()))
        site = f"{scope.get('scheme', 'http')}://{host}"
        try:
            if function is None:
                return await checkin_writes.submit(CheckInCall(match["slug"], payload, token=token))
            return await hot(function)(user, match["slug"], payload, site)
        except ServiceError as exc:
            return exc
        except DatabaseError:
            log.warning("hot route: the database did not answer", exc_info=True)
            return database_unavailable()
        except Exception:
            log.exception("hot route failed")
            return problem(500, "server_error", "Something went wrong on our side; try again.")

    @staticmethod
    async def _respond(send: Any, answer: Answer) -> None:
        extra: dict[str, str] = {}
        if isinstance(answer, ServiceError):
            status, body, extra = answer.status, answer.as_dict(), answer.headers()
        else:
            status, body = answer
        content = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(content)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    *((name.lower().encode(), value.encode()) for name, value in extra.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})
