"""Alert tasks, defined beside their services and listed here for autodiscovery."""

from .dispatch import send_ring, sweep_dispatch
from .services import send_alerts
from .triggers import alert_launch, alert_pledgers, sweep_nudges, sweep_reminders

__all__ = [
    "alert_launch",
    "alert_pledgers",
    "send_alerts",
    "send_ring",
    "sweep_dispatch",
    "sweep_nudges",
    "sweep_reminders",
]
