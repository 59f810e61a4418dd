"""A moment worth offering alerts in (after a follow or a pledge): the view that made it
marks the session, and the next page shows the prompt once (alerts.context)."""

from __future__ import annotations

from django.http import HttpRequest

SESSION_KEY = "offer_alerts"


def offer_alerts(request: HttpRequest, reason: str) -> None:
    request.session[SESSION_KEY] = reason


def take_offer(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    return session.pop(SESSION_KEY, "") if session is not None and SESSION_KEY in session else ""
