"""Domain events: what happened, named, with ids only, sent after the write commits.

Services emit; listeners in other apps (realtime publishing, follower notices, and later
webhooks and moderation) subscribe in their AppConfig.ready(). The domain never imports
them. A listener that fails is logged and the others still run: the write has committed,
and the sweeps heal what a lost notice would have triggered.

Where the dispatch runs is the caller's choice, not the domain's: by default at commit,
on the committing thread; a door that must answer first wraps its call in
`dispatch_with(run_in_background)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: ClassVar[str] = "event"
    action_id: int


@dataclass(frozen=True)
class Launched(Event):
    name: ClassVar[str] = "action.launched"


@dataclass(frozen=True)
class Forked(Event):
    """A new local action (`action_id`) carries the deed of `source_id`: the movement grew."""

    name: ClassVar[str] = "action.forked"
    source_id: int
    movement_id: int


@dataclass(frozen=True)
class Pledged(Event):
    """New pledges of one action, committed together: (pledge id, user id) each."""

    name: ClassVar[str] = "pledge.created"
    pledges: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class CheckInsReceived(Event):
    """Check-ins stored as pending, to be verified."""

    name: ClassVar[str] = "checkin.received"
    checkin_ids: tuple[int, ...]


@dataclass(frozen=True)
class CheckInsVerified(Event):
    name: ClassVar[str] = "checkin.verified"
    checkin_ids: tuple[int, ...]


@dataclass(frozen=True)
class CheckInsRejected(Event):
    name: ClassVar[str] = "checkin.rejected"
    checkin_ids: tuple[int, ...]


@dataclass(frozen=True)
class DeedDone(Event):
    name: ClassVar[str] = "deed.completed"
    checkin_id: int


@dataclass(frozen=True)
class PhaseChanged(Event):
    """The stored phase moved: by the clock, an early end or a cancellation."""

    name: ClassVar[str] = "action.phase_changed"
    phase: str


@dataclass(frozen=True)
class Cancelled(Event):
    name: ClassVar[str] = "action.cancelled"


@dataclass(frozen=True)
class Rescheduled(Event):
    """The lead moved a scheduled action's start (and so its end)."""

    name: ClassVar[str] = "action.rescheduled"


@dataclass(frozen=True)
class MessagePosted(Event):
    name: ClassVar[str] = "action.message"
    announcement_id: int


@dataclass(frozen=True)
class Hidden(Event):
    """A moderator hid the action; `why` is what the organizer and the screens are told."""

    name: ClassVar[str] = "action.hidden"
    why: str


@dataclass(frozen=True)
class Restored(Event):
    name: ClassVar[str] = "action.restored"


@dataclass(frozen=True)
class ShareVisited(Event):
    """Someone opened a participant's share link (who visited is never kept)."""

    name: ClassVar[str] = "share.visited"
    sharer_id: int


@dataclass(frozen=True)
class OrganizersChanged(Event):
    """A co-organizer was invited, accepted, stepped down or was removed."""

    name: ClassVar[str] = "action.organizers_changed"


@dataclass(frozen=True)
class LeadChanged(Event):
    name: ClassVar[str] = "action.lead_changed"
    previous_id: int
    lead_id: int


@dataclass(frozen=True)
class SpotlightChanged(Event):
    name: ClassVar[str] = "action.spotlight_changed"


@dataclass(frozen=True)
class RaidStarted(Event):
    """The action (the source) handed its crowd to another."""

    name: ClassVar[str] = "raid.started"
    raid_id: int


@dataclass(frozen=True)
class MomentumSet(Event):
    name: ClassVar[str] = "action.momentum_set"


@dataclass(frozen=True)
class LevelReached(Event):
    """The crowd reached a momentum level: the end moved by `added_minutes`."""

    name: ClassVar[str] = "action.level_reached"
    level: int
    added_minutes: int


Listener = Callable[[Any], None]
L = TypeVar("L", bound=Listener)
Runner = Callable[[Callable[[], None]], None]

_listeners: dict[type, list[Listener]] = {}


def listen(*kinds: type[Event]) -> Callable[[L], L]:
    """Decorator: call the function with every event of these kinds (or subclasses)."""

    def register(fn: L) -> L:
        for kind in kinds:
            handlers = _listeners.setdefault(kind, [])
            if fn not in handlers:
                handlers.append(fn)
        return fn

    return register


def unlisten(kind: type[Event], fn: Listener) -> None:
    handlers = _listeners.get(kind, [])
    if fn in handlers:
        handlers.remove(fn)


def _run_now(fn: Callable[[], None]) -> None:
    fn()


_runner: ContextVar[Runner] = ContextVar("event_runner", default=_run_now)


@contextmanager
def dispatch_with(runner: Runner) -> Iterator[None]:
    """Events emitted inside are dispatched through `runner` (a background thread, say)."""
    token = _runner.set(runner)
    try:
        yield
    finally:
        _runner.reset(token)


def emit(*happened: Event) -> None:
    """Send each event to its listeners once the current transaction commits (now, outside
    one). Events of one change go as one job of the runner: on the check-in path each job
    is a hop to a background thread and back to the connection pool."""
    if happened:
        run = _runner.get()
        transaction.on_commit(partial(run, partial(dispatch, *happened)), robust=True)


def dispatch(*happened: Event) -> None:
    for event in happened:
        for kind in type(event).__mro__:
            for fn in list(_listeners.get(kind, ())):
                try:
                    fn(event)
                except Exception:
                    log.exception("listener %s failed on %s", getattr(fn, "__qualname__", fn), event.name)
