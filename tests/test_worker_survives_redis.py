"""Audit item 1: a Redis restart with tasks in flight must not kill the Celery worker.

Before goodmob/kombu_fix.py the prefork worker exited with "Unrecoverable error:
AttributeError('NoneType' object has no attribute 'hostname')" on every such restart.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from actions import services, tasks
from actions.models import CheckIn, CheckInStatus
from goodmob.celery import app

from . import factories
from .servers import PrivateRedis, start_worker, subprocess_env

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
        worker.wait_for("received", times=IN_FLIGHT, timeout=60)

        # Down until the worker has noticed (its crash needed Redis still down while it
        # closed the old connection), then up again, empty, as this deployment runs it.
        private.stop()
        worker.wait_for("Connection to broker lost", timeout=30)
        private.start()

        organizer = factories.member("olga")
        action = factories.action(organizer, lat=50.0, lon=19.0, radius_m=100)
        factories.move_clock(action, starts_in=-timedelta(minutes=1))
        checkin, _ = services.check_in(
            action, factories.guest(), services.CheckInInput("key-after-restart", 50.0, 19.0, 5.0)
        )
        with app.connection_for_write(private.url) as conn:
            verification = tasks.verify_checkins.apply_async((action.pk,), connection=conn)

        # Fails at once, with the worker's last lines, if the worker died instead.
        worker.wait_for(f"verify_checkins[{verification.id}] succeeded", timeout=60)
        assert worker.proc.poll() is None
        assert CheckIn.objects.get(pk=checkin.pk).status == CheckInStatus.VERIFIED
        assert worker.count("Unrecoverable error") == 0
    finally:
        worker.proc.terminate()
        try:
            worker.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a warm shutdown still draining under load
            worker.proc.kill()
            worker.proc.wait(timeout=10)
        private.stop()
