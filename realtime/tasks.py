"""Real-time Celery tasks, defined beside their code and listed here for autodiscovery."""

from .cascades import publish_cascade
from .movements import publish_movement
from .snapshots import publish_snapshot, republish_live

__all__ = ["publish_cascade", "publish_movement", "publish_snapshot", "republish_live"]
