"""What the social graph holds about a person, for their export and their deletion."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q

from accounts import personal

from .models import Block, Follow, WatchArea


@personal.exporter
def export(user: User) -> dict[str, Any]:
    def handles(rows: Any, field: str) -> list[str]:
        return [getattr(row, field).profile.handle for row in rows if hasattr(getattr(row, field), "profile")]

    following = Follow.objects.filter(follower=user).select_related("followee__profile")
    followers = Follow.objects.filter(followee=user).select_related("follower__profile")
    blocking = Block.objects.filter(blocker=user).select_related("blocked__profile")
    return {
        "following": handles(following, "followee"),
        "followers": handles(followers, "follower"),
        "blocking": handles(blocking, "blocked"),
        "watch_areas": [
            {"radius_km": area.radius_km, "cells": [c.cell for c in area.cells.all()]}
            for area in WatchArea.objects.filter(user=user).prefetch_related("cells").order_by("pk")
        ],
    }


@personal.eraser
def erase(user: User) -> None:
    Follow.objects.filter(Q(follower=user) | Q(followee=user)).delete()
    Block.objects.filter(Q(blocker=user) | Q(blocked=user)).delete()
    WatchArea.objects.filter(user=user).delete()
