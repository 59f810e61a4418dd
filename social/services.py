"""Follows: anyone may follow anyone."""

from __future__ import annotations

from django.contrib.auth.models import User

from common.errors import Conflict

from .models import Follow


def follow(follower: User, followee: User) -> bool:
    """Returns True when a new follow was made (idempotent)."""
    if follower.pk == followee.pk:
        raise Conflict("self_follow", "You cannot follow yourself.")
    _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    return created


def unfollow(follower: User, followee: User) -> bool:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)
