import os

from celery import Celery
from celery.signals import task_postrun

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
    from django.db import close_old_connections

    # Returns a healthy connection to the pool and drops a broken one.
    close_old_connections()


app.conf.beat_schedule = {
    # The safety net under the per-action scheduled flips: a missed or late task
    # never leaves an action in the wrong phase for more than about a second.
    "sweep-phases": {"task": "actions.tasks.sweep_phases", "schedule": 1.0},
    # Re-queues check-ins whose verification task was lost and republishes exact
    # counts of live actions (the channel layer may drop a broadcast).
    "sweep-checkins": {"task": "actions.tasks.sweep_checkins", "schedule": 5.0},
    "drop-old-coordinates": {"task": "actions.tasks.drop_old_coordinates", "schedule": 3600.0},
}
