from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "actions_follow"  # made by the `actions` app before the split
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="no_self_follow"),
        ]


class Block(models.Model):
    """`blocker` no longer sees `blocked`'s actions in their feed or gets their messages."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocking")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="no_self_block"),
        ]


class WatchArea(models.Model):
    """An area someone wants to hear about launches in. Kept only as coarse H3 cells
    (WatchCell): the point they chose is never stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watch_areas")
    radius_km = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)


class WatchCell(models.Model):
    """One cell of a watch area: a launch in `cell` reaches `user` (one query per launch)."""

    area = models.ForeignKey(WatchArea, on_delete=models.CASCADE, related_name="cells")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cell = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["cell"], name="watch_cell")]
