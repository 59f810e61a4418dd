"""Real-time Celery tasks, defined beside their code and listed here for autodiscovery."""

from .listeners import deliver_announcement
from .snapshots import publish_snapshot, republish_live

__all__ = ["deliver_announcement", "publish_snapshot", "republish_live"]
