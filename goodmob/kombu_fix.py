"""A worker that survives a Redis restart with tasks in flight (kombu 5.7.0, Celery 5.7.0).

The crash, reproduced with `bench/chaos.py` and `tests/test_worker_survives_redis.py`:
on a lost broker link Celery's consumer (`on_connection_error_after_connected`) first
calls `connection.collect()`, which drops the transport's `client` (the connection
parameters) but keeps the default channel, and then `connection.close()`, which closes
that channel. Closing a channel restores its unacknowledged messages: kombu's Redis
QoS builds a new connection pool from `transport.client`, now None, and raises
`AttributeError: 'NoneType' object has no attribute 'hostname'`. That error is neither
a connection nor a channel error, so nothing catches it and the worker exits with
"Unrecoverable error".

A task that finishes after the reconnect then acks through that same old channel,
whose transport is gone, and fails the same way.

The fix here, one level down: a channel with no connection parameters left raises a
Redis ConnectionError instead, which kombu and Celery already treat as a lost broker.
The unacked messages are then not restored now and the late ack is logged as "Couldn't
ack"; nothing is lost by that: the messages stay in Redis's unacked index (if Redis
kept them) and kombu's `restore_visible` redelivers them after the visibility timeout.
Every task we mark acks_late is idempotent, and the beat sweeps re-queue stale
check-ins and republish counts within seconds anyway.

Remove this module once kombu guards `_connparams` or Celery stops closing a collected
connection; `tests/test_worker_survives_redis.py` tells.
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis

_original_connparams = kombu_redis.Channel._connparams  # type: ignore[attr-defined]


def _connparams(self: kombu_redis.Channel, asynchronous: bool = False) -> Any:
    transport = self.connection
    if transport is None or transport.client is None:
        raise redis.ConnectionError("this broker channel belongs to a connection that was closed")
    return _original_connparams(self, asynchronous=asynchronous)


def apply() -> None:
    kombu_redis.Channel._connparams = _connparams  # type: ignore[attr-defined]
