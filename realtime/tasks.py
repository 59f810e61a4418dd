"""Real-time Celery tasks, defined beside their code and listed here for autodiscovery."""

from .snapshots import publish_snapshot, republish_live

__all__ = ["publish_snapshot", "republish_live"]
