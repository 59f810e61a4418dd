"""Bearer tokens for scripts, over HTTP (django-ninja) and in the websocket handshake."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from . import services


def bearer_from_headers(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and key.strip():
                return key.strip()
    return None


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
        return user


class BearerTokenMiddleware(BaseMiddleware):
    """A bearer token in the handshake overrides the session; never a token in the URL."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        key = bearer_from_headers(scope.get("headers", []))
        if key:
            user = await database_sync_to_async(services.user_for_token)(key)
            if user is not None:
                scope = {**scope, "user": user}
        return await super().__call__(scope, receive, send)


class SessionAuth(NinjaSessionAuth):
    """The browser's session (with CSRF); anonymous callers get 401, not a CSRF 403."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)
