"""Webhook tasks, defined beside their service and listed here for autodiscovery."""

from .services import deliver

__all__ = ["deliver"]
