"""Who follows whom, and the feeds that follow from it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection

from accounts.models import Profile
from accounts.selectors import person
from actions.models import Action, Pledge
from actions.selectors import open_actions
from common.sql import placeholders

from .models import Block, Follow

Viewer = User | AnonymousUser


def follower_ids(user_id: int) -> list[int]:
    return list(Follow.objects.filter(followee_id=user_id).values_list("follower_id", flat=True))


def followed_among(user_ids: list[int]) -> set[int]:
    """Those of these people whom anyone follows. Asked after every check-in batch that
    made pledges, so in plain SQL (the ORM's query building was most of its cost)."""
    if not user_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT followee_id FROM {connection.ops.quote_name(Follow._meta.db_table)}"
            f" WHERE followee_id IN ({placeholders(user_ids)})",
            user_ids,
        )
        return {followee_id for (followee_id,) in cursor.fetchall()}


def follower_count(user: User) -> int:
    return Follow.objects.filter(followee=user).count()


def is_following(follower: Viewer, followee: User) -> bool:
    return follower.is_authenticated and Follow.objects.filter(follower=follower, followee=followee).exists()


def feed_for(user: User, limit: int = 30) -> list[Action]:
    followed = Follow.objects.filter(follower=user).values("followee_id")
    blocked = Block.objects.filter(blocker=user).values("blocked_id")
    return list(open_actions().filter(organizer_id__in=followed).exclude(organizer_id__in=blocked)[:limit])


def blockers_of(user_id: int) -> set[int]:
    """Who blocked this person: they get none of this person's messages."""
    return set(Block.objects.filter(blocked_id=user_id).values_list("blocker_id", flat=True))


def is_blocking(blocker: Viewer, blocked: User) -> bool:
    return blocker.is_authenticated and Block.objects.filter(blocker=blocker, blocked=blocked).exists()


def followed_pledgers(action: Action, user: Viewer) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    followed = Follow.objects.filter(follower=user).values("followee_id")
    pledges = Pledge.objects.filter(action=action, user_id__in=followed).select_related("user__profile")
    return [person(p.user) for p in pledges.order_by("created_at")[:50]]


def followed_handles(user: Viewer) -> list[str]:
    if not user.is_authenticated:
        return []
    return list(Profile.objects.filter(user__followers__follower=user).values_list("handle", flat=True))
