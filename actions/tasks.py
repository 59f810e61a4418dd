"""The domain's Celery tasks, each defined beside the service it runs (ids in, one call)
and listed here so Celery's autodiscovery finds them."""

from .services.momentum import check_momentum
from .services.phases import advance_phase, sweep_phases
from .services.verification import drop_old_coordinates, sweep_pending, verify_checkins

__all__ = [
    "advance_phase",
    "check_momentum",
    "drop_old_coordinates",
    "sweep_pending",
    "sweep_phases",
    "verify_checkins",
]
