"""Audit item 1: a Redis restart with tasks in flight must not kill the Celery worker.

Before goodmob/kombu_fix.py the prefork worker exited with "Unrecoverable error:
AttributeError('NoneType' object has no attribute 'hostname')" on every such restart.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from actions import services, tasks
from actions.models import CheckIn, CheckInStatus
from goodmob.celery import app

from . import factories
from .servers import PrivateRedis, start_worker, subprocess_env, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

IN_FLIGHT = 20


def test_worker_keeps_running_through_a_redis_restart_with_tasks_in_flight(tmp_path: Path) -> None:
    private = PrivateRedis()
    private.start()
    log = tmp_path / "worker.log"
    worker = start_worker(subprocess_env(REDIS_URL=private.url), log)
    try:
        # Tasks due in five minutes: the worker takes them and holds them unacked, and
        # sits in BRPOP for more. That is the state in which a lost link crashed it.
        with app.connection_for_write(private.url) as conn:
            for n in range(IN_FLIGHT):  # actions that do not exist: harmless when they run
                tasks.advance_phase.apply_async((10**9 + n,), countdown=300, connection=conn)
        wait_until(lambda: log.read_text().count("received") >= IN_FLIGHT, timeout=60, what="tasks in flight")

        # Down until the worker has noticed (its crash needed Redis still down while it
        # closed the old connection), then up again, empty, as this deployment runs it.
        private.stop()
        wait_until(lambda: "Connection to broker lost" in log.read_text(), timeout=30, what="the worker to notice")
        private.start()

        organizer = factories.member("olga")
        action = factories.action(organizer, lat=50.0, lon=19.0, radius_m=100)
        factories.move_clock(action, starts_in=-timedelta(minutes=1))
        checkin, _ = services.check_in(
            action, factories.guest(), services.CheckInInput("key-after-restart", 50.0, 19.0, 5.0)
        )
        with app.connection_for_write(private.url) as conn:
            tasks.verify_checkins.apply_async((action.pk,), connection=conn)

        def verified() -> bool:
            assert worker.poll() is None, f"the worker died:\n{log.read_text()[-3000:]}"
            return CheckIn.objects.get(pk=checkin.pk).status == CheckInStatus.VERIFIED

        wait_until(verified, timeout=60, what="a check-in verified after the restart", every=0.2)
        assert "Unrecoverable error" not in log.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        private.stop()
