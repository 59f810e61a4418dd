import os

from celery import Celery
from celery.signals import task_postrun, worker_init, worker_process_init, worker_process_shutdown
from django.db import close_old_connections

from common import collector, metrics
from goodmob import kombu_fix

kombu_fix.apply()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodmob.settings")

app = Celery("goodmob")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fixup closes the database after every task, and with a connection
# pool in a prefork child it closes the whole pool: each task then paid for new
# PostgreSQL backends (seen as connection churn under a crowd). Let it close only
# rarely; `_release_connection` below hands the connection back to the pool instead.
app.conf["CELERY_DB_REUSE_MAX"] = 100_000


@task_postrun.connect
def _release_connection(**kwargs: object) -> None:
    # Returns a healthy connection to the pool and drops a broken one.
    close_old_connections()


@worker_init.connect  # the solo pool's one process
@worker_process_init.connect  # each prefork child
def _tune_collector(**kwargs: object) -> None:
    collector.tune()


@worker_process_shutdown.connect
def _forget_metrics(pid: int, **kwargs: object) -> None:
    metrics.forget(pid)


app.conf.beat_schedule = {
    # The safety net under the per-action scheduled flips: a missed or late task
    # never leaves an action in the wrong phase for more than about a second.
    "sweep-phases": {"task": "actions.services.phases.sweep_phases", "schedule": 1.0},
    # Re-queues check-ins whose verification task was lost.
    "sweep-pending": {"task": "actions.services.verification.sweep_pending", "schedule": 5.0},
    # Republishes exact counts of live actions (Redis pub/sub may drop a broadcast).
    "republish-live": {"task": "realtime.snapshots.republish_live", "schedule": 5.0},
    # Re-queues webhook deliveries whose task was lost (a broker outage, a killed worker).
    "requeue-webhooks": {"task": "webhooks.services.requeue_due", "schedule": 60.0},
    # Alerts: the 10-minute reminder, the last-minutes nudge, lost dispatch rings.
    "sweep-reminders": {"task": "alerts.triggers.sweep_reminders", "schedule": 30.0},
    "sweep-nudges": {"task": "alerts.triggers.sweep_nudges", "schedule": 30.0},
    "sweep-dispatch": {"task": "alerts.dispatch.sweep_dispatch", "schedule": 15.0},
    "drop-old-coordinates": {"task": "actions.services.verification.drop_old_coordinates", "schedule": 3600.0},
}
