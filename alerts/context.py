"""Template context: whether this page should offer alerts (common/prompts.py)."""

from __future__ import annotations

from django.http import HttpRequest

from common.prompts import take_offer


def offer_alerts(request: HttpRequest) -> dict[str, str]:
    return {"offer_alerts": take_offer(request)}
