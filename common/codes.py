"""Random codes people read, type and share (handles, slugs, join codes)."""

from __future__ import annotations

import secrets


def random_string(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))
