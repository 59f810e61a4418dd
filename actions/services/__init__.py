"""The domain's only writers. Views, API, consumers and tasks parse input and call these;
each emits its domain events (events.py) when its transaction commits."""

from ..rules import CheckInInput, LaunchInput
from .announcements import announce
from .checkin_batch import check_in_many
from .checkins import check_in, mark_deed_done
from .forks import fork_action
from .launch import launch_action
from .momentum import reach_level, set_momentum
from .organizers import accept as accept_invitation
from .organizers import hand_lead, invite, is_lead, is_organizer, require_lead, require_organizer
from .organizers import remove as remove_organizer
from .phases import cancel_action, end_action, reschedule, sweep_phases, sync_phase
from .pledges import Attention, pledge
from .raids import raid, set_spotlight
from .receipts import issue as issue_receipt
from .sharing import record_visit
from .tallies import next_movement_snapshot, next_snapshot
from .verification import drop_old_coordinates, sweep_pending, verify_pending
from .visibility import hide_action, restore_action

__all__ = [
    "Attention",
    "accept_invitation",
    "hand_lead",
    "invite",
    "is_lead",
    "is_organizer",
    "remove_organizer",
    "require_lead",
    "CheckInInput",
    "LaunchInput",
    "announce",
    "cancel_action",
    "check_in",
    "check_in_many",
    "drop_old_coordinates",
    "end_action",
    "hide_action",
    "issue_receipt",
    "restore_action",
    "fork_action",
    "launch_action",
    "next_movement_snapshot",
    "mark_deed_done",
    "next_snapshot",
    "pledge",
    "reach_level",
    "reschedule",
    "set_momentum",
    "raid",
    "set_spotlight",
    "record_visit",
    "require_organizer",
    "sweep_pending",
    "sweep_phases",
    "sync_phase",
    "verify_pending",
]
