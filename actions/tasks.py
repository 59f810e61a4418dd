"""Thin Celery tasks: ids in, one service call each.

acks_late (with reject_on_worker_lost) only on idempotent tasks: a redelivery after a
killed worker must not do harm. Notifications are not idempotent (a second `launch`
would show twice), so they keep Celery's default early ack.
"""

from __future__ import annotations

from celery import shared_task

from . import services

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def advance_phase(action_id: int) -> str | None:
    return services.sync_phase(action_id)


@shared_task(**IDEMPOTENT, expires=5)
def sweep_phases() -> int:
    return services.sweep_phases()


@shared_task(**IDEMPOTENT)
def publish_snapshot(action_id: int) -> int | None:
    return services.publish_snapshot(action_id)


@shared_task
def announce_launch(action_id: int) -> int:
    return services.announce_launch(action_id)


@shared_task
def announce_pledge(pledge_id: int) -> int:
    return services.announce_pledge(pledge_id)


@shared_task(**IDEMPOTENT)
def verify_checkins(action_id: int) -> int:
    return services.verify_pending(action_id)


@shared_task(**IDEMPOTENT, expires=10)
def sweep_checkins() -> dict[str, int]:
    return services.sweep_checkins()


@shared_task(**IDEMPOTENT)
def drop_old_coordinates() -> int:
    return services.drop_old_coordinates()


@shared_task
def deliver_announcement(announcement_id: int) -> int:
    return services.deliver_announcement(announcement_id)
