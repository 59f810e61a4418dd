"""What alerts hold about a person, for their export and their deletion."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from accounts import personal
from common.times import iso

from .models import Alert, AlertSettings, PushSubscription, Whereabouts
from .services import preferences


@personal.exporter
def export(user: User) -> dict[str, Any]:
    return {
        "alert_preferences": preferences(user),
        "push_subscriptions": [
            {"endpoint": s.endpoint, "created_at": iso(s.created_at)}
            for s in PushSubscription.objects.filter(user=user).order_by("pk")
        ],
        "alerts": [
            {"action": a.action.slug, "kind": a.kind, "text": a.text, "sent_at": iso(a.sent_at) if a.sent_at else None}
            for a in Alert.objects.filter(user=user).select_related("action").order_by("pk")
        ],
        "whereabouts": [
            {"action": w.action.slug, "cell": w.cell, "at": iso(w.at)}
            for w in Whereabouts.objects.filter(user=user).select_related("action")
        ],
    }


@personal.eraser
def erase(user: User) -> None:
    for model in (Alert, AlertSettings, PushSubscription, Whereabouts):
        model.objects.filter(user=user).delete()
