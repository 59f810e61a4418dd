"""The picture a link to an action unfurls into (OpenGraph and Twitter cards): title,
time, place and a QR code to join, drawn on the server with Pillow. Drawing takes tens
of milliseconds and a shared link is fetched by every chat app it lands in, so the PNG
is cached under a key made of everything drawn on it: any change draws a new one."""

from __future__ import annotations

import hashlib
import io
import textwrap
from collections.abc import Callable
from functools import cache
from pathlib import Path

import redis
import segno
from django.core.cache import cache as django_cache
from PIL import Image, ImageDraw, ImageFont

from .models import Action, Phase

SIZE = (1200, 630)
INK, MUTED, ACCENT, BRAND, BACKGROUND = "#f8fafc", "#94a3b8", "#4ade80", "#14b8a6", "#0b1220"
CACHE_SECONDS = 24 * 3600
# DejaVu covers most scripts people write titles in; Pillow's own font is the fallback.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int, bold: bool = False) -> Font:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _when(action: Action) -> str:
    if action.status == Phase.CANCELLED:
        return "Cancelled"
    return action.starts_at.strftime("%a %d %b · %H:%M UTC")


def _lines(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, most: int) -> list[str]:
    """Wrapped to `width` pixels, at most `most` lines (the last one cut with an ellipsis)."""
    chars = max(8, int(width / (font.getlength("n") or 1)))
    lines = textwrap.wrap(text, chars) or [""]
    while any(draw.textlength(line, font=font) > width for line in lines) and chars > 8:
        chars -= 2
        lines = textwrap.wrap(text, chars)
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1][: max(1, chars - 1)] + "…"]
    return lines


def draw(action: Action, join_url: str) -> bytes:
    image = Image.new("RGB", SIZE, BACKGROUND)
    pen = ImageDraw.Draw(image)
    left, text_width = 64, 700
    pen.text((left, 56), "●", font=_font(30, True), fill=BRAND)
    pen.text((left + 36, 56), f"Good Mob · {action.organizer.profile.display_name}", font=_font(30, True), fill=MUTED)
    y = 120
    for line in _lines(pen, action.title, _font(64, True), text_width, 3):
        pen.text((left, y), line, font=_font(64, True), fill=INK)
        y += 76
    y += 10
    for line in _lines(pen, action.deed, _font(32), text_width, 3):
        pen.text((left, y), line, font=_font(32), fill="#cbd5e1")
        y += 42
    place = "Anywhere" if action.is_anywhere else (action.place_name or "On the map")
    pen.text((left, SIZE[1] - 130), _when(action), font=_font(36, True), fill=ACCENT)
    pen.text((left, SIZE[1] - 82), place[:60], font=_font(30), fill=MUTED)
    qr = io.BytesIO()
    segno.make(join_url, error="m").save(qr, kind="png", scale=9, border=2, dark="#111827", light="#ffffff")
    code = Image.open(io.BytesIO(qr.getvalue())).convert("RGB").resize((340, 340), Image.Resampling.NEAREST)
    image.paste(code, (SIZE[0] - 340 - 64, (SIZE[1] - 340) // 2 - 20))
    pen.text((SIZE[0] - 234 - 64, SIZE[1] - 118), f"Code {action.join_code}", font=_font(34, True), fill=INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def draw_results(action: Action, counts: dict[str, int]) -> bytes:
    """The card a link to the results unfurls into: the tally, big."""
    image = Image.new("RGB", SIZE, BACKGROUND)
    pen = ImageDraw.Draw(image)
    left = 64
    pen.text((left, 56), "●", font=_font(30, True), fill=BRAND)
    pen.text((left + 36, 56), f"Good Mob · {action.organizer.profile.display_name}", font=_font(30, True), fill=MUTED)
    y = 118
    for line in _lines(pen, action.title, _font(52, True), SIZE[0] - 2 * left, 2):
        pen.text((left, y), line, font=_font(52, True), fill=INK)
        y += 62
    deeds = f"{counts['deeds']:,}"
    pen.text((left, y + 20), deeds, font=_font(200, True), fill="#fde68a")
    number_width = pen.textlength(deeds, font=_font(200, True))
    pen.text((left + number_width + 30, y + 120), "deeds done", font=_font(48, True), fill=INK)
    share = 100 * counts["deeds"] // counts["goal"] if counts["goal"] else 0
    pen.text(
        (left + number_width + 30, y + 180), f"{share}% of the goal of {counts['goal']:,}", font=_font(32), fill=MUTED
    )
    pen.text((left, SIZE[1] - 110), f"{counts['checked_in']:,} people on the spot", font=_font(40, True), fill=ACCENT)
    pen.text((left, SIZE[1] - 60), _when(action), font=_font(28), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png(action: Action, join_url: str) -> bytes:
    drawn = (action.title, action.deed, action.status, action.starts_at, action.place_name, action.radius_m)
    who = (action.organizer.profile.display_name, action.join_code, join_url)
    return _cached(("preview", action.pk, drawn, who), lambda: draw(action, join_url))


def results_png(action: Action, counts: dict[str, int]) -> bytes:
    drawn = (
        action.title,
        action.status,
        action.starts_at,
        action.organizer.profile.display_name,
        sorted(counts.items()),
    )
    return _cached(("results", action.pk, drawn), lambda: draw_results(action, counts))


def _cached(what: tuple[object, ...], draw_it: Callable[[], bytes]) -> bytes:
    """Drawn once per content: the key is everything drawn."""
    key = "preview:" + hashlib.sha256(repr(what).encode()).hexdigest()[:32]
    try:
        found = django_cache.get(key)
    except redis.RedisError:
        return draw_it()  # no cache for a moment: draw it each time
    if found is None:
        found = draw_it()
        try:
            django_cache.set(key, found, CACHE_SECONDS)
        except redis.RedisError:
            pass
    return found
