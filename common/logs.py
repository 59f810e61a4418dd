"""Request ids and structured logs.

Every HTTP request gets an id: the caller's `X-Request-ID` when it is a
sane token (a proxy in front may have set it), else a new one. It is answered in the
`X-Request-ID` header and carried by every log line written while the request is
served (asgiref hands context variables to the threads it runs sync code on). With
LOG_FORMAT=json each line is one JSON object (python-json-logger). Websockets get none:
an id held for a socket's whole life is memory per socket, and a socket's few log lines
name its action.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
HEADER = b"x-request-id"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def _given(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER and _SANE.fullmatch(value):
            return value.decode()
    return None


class _NewIds:
    """Fresh ids: a random prefix per process and a counter. Unique, not secret; a
    uuid4 per request asked the kernel for random bytes each time."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix, self.counter = secrets.token_hex(8), itertools.count()

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


new_id = _NewIds()


class RequestIds:
    """ASGI middleware around both HTTP doors (the edge door and Django)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        ident = _given(scope) or new_id()
        token = REQUEST_ID.set(ident)

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, ident.encode())]}
            await send(message)

        try:
            return await self.inner(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


def config(log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: plain lines for people, or JSON lines for a log pipeline."""
    formatter: dict[str, Any] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message", "request_id"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # Django's request logs carry the request object: its repr, not a crash.
            "json_default": repr,
            "reserved_attrs": [*_RESERVED, "request", "status_code", "scope"],
        }
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.channels.server": {"level": "WARNING"},
            # uvicorn set up its own loggers before Django started; its errors and
            # start-up lines come here (its access log, off in the Procfile, stays its own).
            "uvicorn.error": {"handlers": ["console"], "propagate": False},
        },
    }


_RESERVED = list(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) + ["message", "asctime"]
