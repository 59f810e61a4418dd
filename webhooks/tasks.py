"""Webhook tasks, defined beside their service and listed here for autodiscovery."""

from .services import deliver, requeue_due

__all__ = ["deliver", "requeue_due"]
