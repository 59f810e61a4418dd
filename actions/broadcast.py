"""The only publisher of real-time messages.

Every message is encoded to JSON once here and published once per group; each web
process hands the same text to all of its sockets in that group (see fanout.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from . import fanout


def action_group(action_id: int) -> str:
    return f"action.{action_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def to_groups(groups: Iterable[str], message: dict[str, Any]) -> None:
    fanout.publish_many(list(groups), encode(message))


def to_action(action_id: int, message: dict[str, Any]) -> None:
    to_groups([action_group(action_id)], message)


def to_users(user_ids: Iterable[int], message: dict[str, Any]) -> None:
    to_groups((user_group(uid) for uid in user_ids), message)


def to_each_user(messages: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """A message of its own to each user (verdicts), all in one round trip."""
    fanout.publish([(user_group(uid), encode(message)) for uid, message in messages])
