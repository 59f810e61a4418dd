import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodmob.settings")

app = Celery("goodmob")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # The safety net under the per-action scheduled flips: a missed or late task
    # never leaves an action in the wrong phase for more than about a second.
    "sweep-phases": {"task": "actions.tasks.sweep_phases", "schedule": 1.0},
    # Re-queues check-ins whose verification task was lost and republishes exact
    # counts of live actions (the channel layer may drop a broadcast).
    "sweep-checkins": {"task": "actions.tasks.sweep_checkins", "schedule": 5.0},
    "drop-old-coordinates": {"task": "actions.tasks.drop_old_coordinates", "schedule": 3600.0},
}
