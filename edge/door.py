"""The edge door: bearer-token POSTs to the hot endpoints, answered before Django.

Why a second door: Django's ASGI handler gives every request its own thread-sensitive
context; its signal receivers and `response.close()` start a thread per request, and
asgiref starts another from the event loop to join it. Under a crowd the event loop
spends its time waiting on `Thread.start()` (seen with py-spy), and throughput fell
to a few dozen check-ins a second. HotRoutes does what Django's cycle would do for
these three routes (host check, body limit, auth, JSON, the domain door on the hot
pool, JSON errors) without that per-request machinery. The bodies of the endpoints are
the domain's (actions/doors.py), shared with the django-ninja views.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from pydantic import BaseModel, ValidationError

from accounts.auth import bearer_from_headers, cached_user_for_token
from actions.doors import Answer, CheckInCall, checkin_writes, deed_as, pledge_as
from actions.schemas import CheckInIn, PledgeIn
from common import hosts, inputs, jsontext
from common.errors import UNAUTHORIZED, ServiceError, database_unavailable, first_error_sentence
from common.headers import security_headers
from common.pool import hot

log = logging.getLogger(__name__)


def problem(status: int, code: str, detail: str) -> ServiceError:
    return ServiceError(code, detail, status=status)


ROUTE = re.compile(r"^/api/v1/actions/(?P<slug>[-a-zA-Z0-9_]+)/(?P<what>checkins|pledges|deeds)$")
# Check-ins have no per-request function: they go to `checkin_writes`, whose batch also
# looks up their tokens.
HANDLERS: dict[str, tuple[Callable[..., tuple[int, dict[str, Any]]] | None, type[BaseModel] | None]] = {
    "checkins": (None, CheckInIn),
    "pledges": (pledge_as, PledgeIn),
    "deeds": (deed_as, None),
}


class HotRoutes:
    """ASGI: bearer-token POSTs to the hot endpoints; everything else goes to Django."""

    def __init__(self, django_app: Any) -> None:
        self.django = django_app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = ROUTE.match(scope["path"])
            headers = scope.get("headers", [])
            token = bearer_from_headers(headers) if match else None
            secure = self._is_secure(scope)
            # Where HTTPS is enforced, let Django answer plain-HTTP requests (it redirects).
            if match and token and (secure or not getattr(settings, "SECURE_SSL_REDIRECT", False)):
                answer = await self._handle(match, token, scope, receive)
                if isinstance(answer, ServiceError) and answer.status < 500:
                    # As Django logs its own refusals: one line, no traceback.
                    log.warning("%s %s refused: %s %s", scope["method"], scope["path"], answer.status, answer.code)
                await self._respond(send, answer, secure)
                return
        await self.django(scope, receive, send)

    @staticmethod
    def _is_secure(scope: dict) -> bool:
        """As Django's request.is_secure(): the scheme, or the proxy's header where trusted."""
        if scope.get("scheme") == "https":
            return True
        if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is None:
            return False
        return dict(scope.get("headers", [])).get(b"x-forwarded-proto", b"") == b"https"

    async def _handle(self, match: re.Match, token: str, scope: dict, receive: Any) -> Answer:
        raw_host = dict(scope.get("headers", [])).get(b"host", b"")
        if not hosts.served(raw_host, tuple(settings.ALLOWED_HOSTS)):
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
        site = f"{scope.get('scheme', 'http')}://{raw_host.decode('latin-1')}"
        try:
            if isinstance(payload, CheckInIn):
                return await checkin_writes.submit(CheckInCall(match["slug"], payload, token=token))
            assert function is not None
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
    async def _respond(send: Any, answer: Answer, secure: bool) -> None:
        extra: dict[str, str] = {}
        if isinstance(answer, ServiceError):
            status, body, extra = answer.status, answer.as_dict(), answer.headers()
        else:
            status, body = answer
        content = jsontext.dumps(body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(content)).encode()),
                    *security_headers(secure),
                    *((name.lower().encode(), value.encode()) for name, value in extra.items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})
