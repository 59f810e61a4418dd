"""Stream overlay widgets (/a/<slug>/overlay/<widget>): one small panel each, on a solid
translucent backing legible over any scene, styled by query string."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

WIDGETS = ("goal", "counter", "qr", "ticker", "cascade")
SIZES = ("s", "m", "l", "xl")
CORNERS = ("tl", "tr", "bl", "br", "center")
COUNTS = ("deeds", "checked_in", "pledged")
HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Look:
    """What the query string asks for; anything unreadable falls back to the default, so a
    typo in an OBS source never blanks the stream."""

    size: str = "m"
    corner: str = "bl"
    panel: str = "0b1220"  # the backing, drawn at `opacity` percent
    text: str = "f8fafc"
    accent: str = "4ade80"
    opacity: int = 90
    count: str = "deeds"  # what the counter counts
    label: str = ""  # the counter's words, in place of the default

    def css(self) -> dict[str, str]:
        alpha = f"{round(self.opacity * 255 / 100):02x}"
        return {"--o-panel": f"#{self.panel}{alpha}", "--o-text": f"#{self.text}", "--o-accent": f"#{self.accent}"}


def colour(value: str | None, default: str) -> str:
    match = HEX.match(value or "")
    return match.group(1).lower() if match else default


def one_of(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed and value is not None else default


def look(query: Mapping[str, str]) -> Look:
    base = Look()
    try:
        opacity = min(100, max(0, int(query.get("opacity", base.opacity))))
    except ValueError:
        opacity = base.opacity
    return Look(
        size=one_of(query.get("size"), SIZES, base.size),
        corner=one_of(query.get("corner"), CORNERS, base.corner),
        panel=colour(query.get("panel"), base.panel),
        text=colour(query.get("text"), base.text),
        accent=colour(query.get("accent"), base.accent),
        opacity=opacity,
        count=one_of(query.get("count"), COUNTS, base.count),
        label=(query.get("label") or "")[:40],
    )
