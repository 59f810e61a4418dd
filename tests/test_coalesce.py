"""Coalesced broadcasts rest after expensive ones (common/coalesce.py), on the real Redis."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from common import coalesce
from common import redis as goodmob_redis


@dataclass
class QueuedTask:
    """Stands in for a Celery task: records when it was asked to run."""

    calls: list[float] = field(default_factory=list)

    def apply_async(self, args: tuple, countdown: float) -> None:
        self.calls.append(countdown)


def test_a_slow_broadcast_pushes_the_next_one_back() -> None:
    task = QueuedTask()
    started = coalesce.begin("testrest", 1)
    coalesce.rest("testrest", 1, started - 1.0)  # as if it had taken a second
    coalesce.request("testrest", 1, task, window=0.25)
    assert len(task.calls) == 1 and 4.0 < task.calls[0] < 4.5  # REST × 1 s, plus the window
    # The pending flag outlives the wait: a change meanwhile rides on the queued one.
    assert goodmob_redis.client().pttl(goodmob_redis.key("testrest", "pending", 1)) > task.calls[0] * 1000
    coalesce.request("testrest", 1, task, window=0.25)
    assert len(task.calls) == 1


def test_a_quick_broadcast_leaves_the_window_alone() -> None:
    task = QueuedTask()
    started = coalesce.begin("testrest", 2)
    coalesce.rest("testrest", 2, started)
    goodmob_redis.client().delete(goodmob_redis.key("testrest", "pending", 2))
    coalesce.request("testrest", 2, task, window=0.25)
    assert task.calls and task.calls[0] <= 0.25
    assert time.time() - started < 5


def test_resting_rests_after_a_broadcast_that_failed(monkeypatch) -> None:
    """A slow broadcast that raised still pushes the next one back: its cost was paid."""
    clock = iter([1000.0, 1001.0])  # begin at 1000, the failure a second later
    monkeypatch.setattr(coalesce.time, "time", lambda: next(clock))
    with pytest.raises(RuntimeError), coalesce.resting("testrest", 3):
        raise RuntimeError("the read failed")
    last = float(goodmob_redis.client().get(goodmob_redis.key("testrest", "last", 3)))
    assert last == 1001.0 + coalesce.REST * 1.0
