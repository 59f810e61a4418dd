"""Follows: anyone may follow anyone."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from common.errors import Conflict

from .models import Block, Follow


def follow(follower: User, followee: User) -> bool:
    """Returns True when a new follow was made (idempotent)."""
    if follower.pk == followee.pk:
        raise Conflict("self_follow", "You cannot follow yourself.")
    if Block.objects.filter(blocker=followee, blocked=follower).exists():
        raise Conflict("blocked", "This person does not take follows from you.")
    _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    return created


def unfollow(follower: User, followee: User) -> bool:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)


def block(blocker: User, blocked: User) -> bool:
    """Block someone (idempotent): follows between the two end, in both directions."""
    if blocker.pk == blocked.pk:
        raise Conflict("self_block", "You cannot block yourself.")
    with transaction.atomic():
        Follow.objects.filter(follower=blocker, followee=blocked).delete()
        Follow.objects.filter(follower=blocked, followee=blocker).delete()
        _, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    return created


def unblock(blocker: User, blocked: User) -> bool:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)
