"""For the people who run the site: liveness, readiness and Prometheus metrics.

`/healthz` says the process answers (nothing else is touched, so a load balancer never
restarts a web process because the database is slow); `/readyz` says it can serve (the
database and Redis answer); `/metrics` is the Prometheus text of every process sharing
PROMETHEUS_MULTIPROC_DIR, plus what is read at scrape time (pending check-ins, the
Celery queue's depth).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from actions.models import CheckIn, CheckInStatus
from common import redis as goodmob_redis
from common.errors import ServiceError
from common.responses import problem


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _redis_answers() -> bool:
    try:
        return bool(goodmob_redis.client().ping())
    except (redis.RedisError, OSError):
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {"database": _database_answers(), "redis": _redis_answers()}
    if all(checks.values()):
        return JsonResponse({"status": "ready", "checks": checks})
    down = ", ".join(name for name, ok in checks.items() if not ok)
    answer = problem(ServiceError("not_ready", f"Not answering: {down}.", status=503))
    answer["Retry-After"] = "5"
    return answer


class BacklogCollector(Collector):
    """Read at scrape time from the shared stores, so it is right whichever process answers."""

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._pending(), self._queued()]  # names only: registering must not query

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending, queued = self._pending(), self._queued()
        try:
            pending.add_metric([], CheckIn.objects.filter(status=CheckInStatus.PENDING).count())
        except DatabaseError:
            pass  # /readyz tells that the database is down
        yield pending
        try:
            queued.add_metric([], goodmob_redis.client().llen(goodmob_redis.key(settings.CELERY_TASK_DEFAULT_QUEUE)))
        except (redis.RedisError, OSError):
            pass
        yield queued

    def _pending(self) -> GaugeMetricFamily:
        return GaugeMetricFamily("goodmob_checkins_pending", "Check-ins stored and not yet judged")

    def _queued(self) -> GaugeMetricFamily:
        return GaugeMetricFamily("goodmob_celery_queue_depth", "Tasks waiting in the Celery queue")


def _scraped() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # reads every process's files at each scrape
    else:
        registry = REGISTRY
    registry.register(BacklogCollector())
    return registry


SCRAPED = _scraped()


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and not secrets.compare_digest(given.encode(), token.encode()):
        return problem(ServiceError("unauthorized", "Send the metrics token as a bearer token.", status=401))
    return HttpResponse(generate_latest(SCRAPED), content_type=CONTENT_TYPE_LATEST)
