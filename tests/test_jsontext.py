"""The wire's JSON encoder (common/jsontext.py) writes what the standard library wrote:
the same bytes for ASCII, the same values for everything else."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext_lazy

from actions.models import CheckInStatus
from common import jsontext


@dataclass
class Spot:
    lat: float


def test_ascii_frames_are_the_same_bytes_as_json_wrote():
    frame = {"type": "cascade", "nodes": [{"id": "ab12", "depth": 2, "name": None, "share": 0.25}], "full": True}
    assert jsontext.dumps(frame) == json.dumps(frame, separators=(",", ":")).encode()


def test_what_json_has_no_type_for_goes_as_its_text_as_before():
    at = datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)
    value = {"at": at, "spot": Spot(1.5), "words": gettext_lazy("Checked in"), 3: CheckInStatus.VERIFIED}
    expected = json.dumps(value, separators=(",", ":"), default=str).encode()
    assert jsontext.dumps(value) == expected
    assert json.loads(expected)["at"] == "2026-11-23 15:04:05+00:00"


def test_other_text_is_utf8_and_reads_back_the_same():
    frame = {"name": "Zoë 🌱 Ünal", "detail": 'say "hi"\n'}
    text = jsontext.dumps(frame)
    assert "Zoë 🌱".encode() in text
    assert json.loads(text) == frame == jsontext.loads(text)
