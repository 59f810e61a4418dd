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
}
