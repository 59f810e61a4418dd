"""Bearer tokens for scripts, over HTTP (django-ninja) and in the websocket handshake."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from common.pool import hot

from . import revocation, services

# Signing someone in by our own decision (a new guest, a changed password), not by a
# password check, names the backend that holds them.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


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


# Tokens are long random strings that never change owner: a short per-process cache
# saves a query on every hot request. A revocation (revocation.py) empties it within
# REVOCATION_CHECK_S; TOKEN_TTL bounds it when Redis cannot say.
TOKEN_TTL = 30.0
REVOCATION_CHECK_S = 1.0
_token_cache: dict[str, tuple[float, User]] = {}


@dataclass
class _Revocations:
    generation: int | None = None
    checked_at: float = float("-inf")


_revocations = _Revocations()


def _checked_recently(now: float) -> bool:
    return now - _revocations.checked_at < REVOCATION_CHECK_S


def _follow_revocations(now: float) -> None:
    """On the hot pool (it asks Redis): drop the cache when a revocation was announced."""
    current = revocation.generation()
    _revocations.checked_at = now
    if current is not None and current != _revocations.generation:
        _token_cache.clear()
        _revocations.generation = current


async def cached_user_for_token(token: str) -> User | None:
    now = time.monotonic()
    hit = _token_cache.get(services.hash_token(token))
    if hit is not None and hit[0] > now and _checked_recently(now):
        return hit[1]
    return (await hot(users_for_tokens)([token])).get(token)


def users_for_tokens(tokens: list[str]) -> dict[str, User]:
    """The active users behind these tokens: the cache, then one query for the rest."""
    now = time.monotonic()
    if not _checked_recently(now):
        _follow_revocations(now)
    found: dict[str, User] = {}
    unseen: dict[str, str] = {}  # hash -> token
    for token in tokens:
        key = services.hash_token(token)
        hit = _token_cache.get(key)
        if hit is not None and hit[0] > now:
            found[token] = hit[1]
        else:
            unseen[key] = token
    if unseen:
        if len(_token_cache) > 100_000:
            _token_cache.clear()
        for key, user in services.users_for_token_hashes(list(unseen)).items():
            _token_cache[key] = (now + TOKEN_TTL, user)
            found[unseen[key]] = user
    return found


class AsyncBearerAuth(HttpBearer):
    """For async endpoints: no thread hop when the token was seen recently."""

    async def authenticate(self, request: HttpRequest, token: str) -> Any:
        return await cached_user_for_token(token)


class AsyncSessionAuth(NinjaSessionAuth):
    """For async endpoints: the browser's session, CSRF checked; anonymous gets 401."""

    def __call__(self, request: HttpRequest) -> Any:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)

    async def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = await request.auser()
        return user if user.is_authenticated else None


def caller(request: HttpRequest) -> User:
    """The user an API endpoint's auth found (django-ninja runs the endpoint only then)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise PermissionDenied("No signed-in caller.")
    return user


def signed_in_user(request: HttpRequest) -> User:
    """The user of a page behind login_required (or one that has just signed in)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Sign in first.")
    return request.user
