"""Celery task options shared by the apps."""

from __future__ import annotations

from typing import TypedDict


class TaskOptions(TypedDict):
    acks_late: bool
    reject_on_worker_lost: bool


# acks_late (with reject_on_worker_lost) only on idempotent tasks: a redelivery after a
# killed worker must not do harm. Notifications are not idempotent (a second `launch`
# would show twice), so they keep Celery's default early ack.
IDEMPOTENT: TaskOptions = {"acks_late": True, "reject_on_worker_lost": True}
