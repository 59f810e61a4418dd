"""The web app manifest and its icons, so a phone can add Good Mob to its home screen.
The icons are the favicon's drawing (static/img/icon.svg) at the sizes phones ask for,
drawn once per process with Pillow; a maskable one keeps the mark inside the safe zone."""

from __future__ import annotations

import io
from functools import cache

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from PIL import Image, ImageDraw

SIZES = (180, 192, 512)
BRAND, DOTS = "#0f766e", "#fde68a"


@cache
def png(size: int, maskable: bool) -> bytes:
    scale = 4  # drawn large, then shrunk: smooth edges without an SVG renderer
    big = size * scale
    image = Image.new("RGBA", (big, big), BRAND if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # The mark on a 64-unit grid, as in icon.svg; maskable icons keep it in the middle 80%.
    unit = big / 64 * (0.8 if maskable else 1)
    offset = (big - 64 * unit) / 2

    def dot(cx: float, cy: float, r: float, fill: str) -> None:
        x, y = offset + cx * unit, offset + cy * unit
        draw.ellipse((x - r * unit, y - r * unit, x + r * unit, y + r * unit), fill=fill)

    if not maskable:
        dot(32, 32, 30, BRAND)
    for cx, cy, r in ((22, 28, 7), (42, 28, 7), (32, 44, 8)):
        dot(cx, cy, r, DOTS)
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


@cache_control(max_age=86400, public=True)
def icon(request: HttpRequest, size: int, kind: str = "any") -> HttpResponse:
    if size not in SIZES or kind not in ("any", "maskable"):
        raise Http404("No icon of that size.")
    return HttpResponse(png(size, kind == "maskable"), content_type="image/png")


@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [{"src": f"/icons/{size}.png", "sizes": f"{size}x{size}", "type": "image/png"} for size in (192, 512)]
    icons.append({"src": "/icons/512-maskable.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"})
    response = JsonResponse(
        {
            "name": "Good Mob",
            "short_name": "Good Mob",
            "description": "Good deeds, at one moment, together.",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f6f5f1",
            "theme_color": BRAND,
            "icons": icons,
        }
    )
    response["Content-Type"] = "application/manifest+json"
    return response
