"""The only caller of the channel layer's group_send.

Every message is encoded to JSON once here; consumers forward the text unchanged, so
a broadcast to thousands of sockets costs one serialization, not thousands.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

FAN_OUT_CHUNK = 500


def action_group(action_id: int) -> str:
    return f"action.{action_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def envelope(message: dict[str, Any]) -> dict[str, str]:
    return {"type": "push", "text": encode(message)}


async def send_to_groups(groups: Iterable[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    event = envelope(message)
    groups = list(groups)
    for start in range(0, len(groups), FAN_OUT_CHUNK):
        chunk = groups[start : start + FAN_OUT_CHUNK]
        await asyncio.gather(*(layer.group_send(group, event) for group in chunk))


def to_groups(groups: Iterable[str], message: dict[str, Any]) -> None:
    async_to_sync(send_to_groups)(groups, message)


def to_action(action_id: int, message: dict[str, Any]) -> None:
    to_groups([action_group(action_id)], message)


def to_users(user_ids: Iterable[int], message: dict[str, Any]) -> None:
    to_groups((user_group(uid) for uid in user_ids), message)
