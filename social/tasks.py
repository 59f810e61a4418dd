"""Social Celery tasks, defined beside their listeners and listed here for autodiscovery."""

from .notify import announce_launch, announce_pledge, deliver_announcement

__all__ = ["announce_launch", "announce_pledge", "deliver_announcement"]
