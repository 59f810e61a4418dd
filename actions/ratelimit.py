"""Fixed-window rate limits shared by every process through Redis."""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from django.http import HttpRequest

from . import redis as goodmob_redis
from .errors import RateLimited

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def check(scope: str, ident: str) -> None:
    """Count one hit for (scope, ident); raise RateLimited past the configured limit."""
    limit, window = settings.RATE_LIMITS[scope]
    bucket = int(time.time() // window)
    name = goodmob_redis.key("rl", scope, ident, bucket)
    try:
        pipe = goodmob_redis.client().pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1)
        hits = pipe.execute()[0]
    except redis.RedisError:
        # Fail open: refusing every participant because Redis blinked is worse than
        # letting a burst through for a moment.
        log.warning("rate limit check skipped: Redis unavailable")
        return
    if hits > limit:
        wait = window - int(time.time() % window)
        raise RateLimited("rate_limited", f"Too many requests; try again in {wait} seconds.")
