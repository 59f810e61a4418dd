"""Proof of presence beyond GPS: a six-digit code that changes every 30 seconds on a
screen at the spot (the dashboard opened with the organizer's presence key).

The code is an HMAC of the action's own secret and the 30-second step, so a code says
which action it belongs to and when it was shown, and nothing can be computed from the
outside. A code is taken for a minute after it first appears: the one on screen now
and the one before it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.utils.crypto import salted_hmac

from .models import Action

STEP_SECONDS = 30
LENGTH = 6
# Steps taken: the code on screen now and the previous one (at most a minute old).
ACCEPTED_STEPS = 2
# Older codes of the action are still recognised, to say "expired" rather than "wrong".
RECOGNISED_STEPS = 240  # two hours


@dataclass(frozen=True)
class ShownCode:
    code: str
    step: int
    changes_at: datetime


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at(action: Action, step: int) -> str:
    digest = hmac.new(bytes.fromhex(action.presence_secret), step.to_bytes(8, "big"), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**LENGTH:0{LENGTH}d}"


def shown(action: Action, now: datetime) -> ShownCode:
    step = step_of(now)
    changes_at = datetime.fromtimestamp((step + 1) * STEP_SECONDS, tz=now.tzinfo)
    return ShownCode(code_at(action, step), step, changes_at)


def normalize(typed: str) -> str:
    """What a person types or a QR carries: digits, maybe with spaces or a dash."""
    return "".join(ch for ch in typed if ch.isdigit() and ch.isascii())


def judge(action: Action, code: str, at: datetime) -> str:
    """'' when `code` was on this action's screen within the last minute before `at`,
    else the reason: code_expired (an older code of this action) or code_wrong."""
    now = step_of(at)
    for back in range(RECOGNISED_STEPS):
        if hmac.compare_digest(code_at(action, now - back), code):
            return "" if back < ACCEPTED_STEPS else "code_expired"
    return "code_wrong"


def check_in_path(action: Action, code: str) -> str:
    """What the QR code beside the digits holds: the action page, the code filled in."""
    return f"{action.get_absolute_url()}?presence={code}"


def screen_key(action: Action) -> str:
    """The key in the link to the code screen: whoever holds it sees the codes."""
    return salted_hmac("goodmob.presence-screen", action.presence_secret, algorithm="sha256").hexdigest()[:32]


def check_screen_key(action: Action, key: str) -> bool:
    # Bytes: compare_digest refuses str with characters beyond ASCII (a fuzzer sent some).
    return hmac.compare_digest(screen_key(action).encode(), (key or "").encode())
