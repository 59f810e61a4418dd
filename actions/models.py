from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Phase(models.TextChoices):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Visibility(models.TextChoices):
    PUBLIC = "public"
    HIDDEN = "hidden"  # by a moderator: every screen told, writes refused with 410


def new_presence_secret() -> str:
    return secrets.token_hex(16)


class Action(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    join_code = models.CharField(max_length=6, unique=True)
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=120)
    deed = models.CharField(max_length=280)
    place_name = models.CharField(max_length=120, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means anywhere.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    goal = models.PositiveIntegerField()
    capacity = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Phase.choices, default=Phase.SCHEDULED)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    # Grows by one for every broadcast snapshot, so clients can drop stale ones.
    seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # A fork carries the deed of `forked_from` to another place and time; both belong
    # to one movement.
    forked_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="forks")
    movement = models.ForeignKey("Movement", on_delete=models.SET_NULL, null=True, blank=True, related_name="actions")
    # The rotating presence code on a screen at the spot is derived from it (presence.py);
    # it never leaves the server.
    presence_secret = models.CharField(max_length=32, default=new_presence_secret, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["status", "starts_at"], name="action_status_starts"),
            models.Index(fields=["status", "ends_at"], name="action_status_ends"),
            models.Index(fields=["organizer", "-starts_at"], name="action_organizer_starts"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("action", args=[self.slug])

    @property
    def is_hidden(self) -> bool:
        return self.visibility == Visibility.HIDDEN

    @property
    def is_anywhere(self) -> bool:
        return self.radius_m is None

    def phase_at(self, now: datetime) -> Phase:
        """The phase the clock says, which the stored status catches up with."""
        if self.status == Phase.CANCELLED:
            return Phase.CANCELLED
        if self.status == Phase.ENDED or now >= self.ends_at:
            return Phase.ENDED
        if now >= self.starts_at:
            return Phase.LIVE
        return Phase.SCHEDULED


class Pledge(models.Model):
    # No index of its own: the two below lead with the action (one fewer index to write
    # per pledge), and with it the planner chose it over the ordered one (see below).
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="pledges", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pledges")
    # The three optional links are indexed only where set (see Meta): most pledges have
    # none, and a full index writes an entry for every one of them.
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        db_index=False,
    )
    # Attention given: the raid, or the spotlighting action, that brought this pledge.
    via_raid = models.ForeignKey(
        "Raid", on_delete=models.SET_NULL, null=True, blank=True, related_name="pledges", db_index=False
    )
    via_spotlight = models.ForeignKey(
        Action, on_delete=models.SET_NULL, null=True, blank=True, related_name="spotlight_pledges", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "user"], name="pledge_once")]
        # The snapshot's newest pledgers, in the order it asks (ties broken by id). A flash
        # crowd outruns the planner's statistics (an action of 23,600 pledges estimated at
        # one): it then read, joined and sorted every pledge (140 ms) instead of 12.
        indexes = [
            models.Index(fields=["action", "-created_at", "-id"], name="pledge_action_newest"),
            *(
                models.Index(fields=[link], name=f"pledge_{link}", condition=models.Q(**{f"{link}__isnull": False}))
                for link in ("referrer", "via_raid", "via_spotlight")
            ),
        ]


class CheckInStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class CheckInMethod(models.TextChoices):
    """How the verifier found the person there."""

    GPS = "gps"
    CODE = "code"
    GPS_AND_CODE = "gps+code"
    ANYWHERE = "anywhere"  # an action done anywhere asks for no proof of place


class CheckIn(models.Model):
    pledge = models.OneToOneField(Pledge, on_delete=models.CASCADE, related_name="checkin")
    # The pledge's action, copied so the live recount reads one index instead of
    # joining every pledge (at 25,000 check-ins the join took 150-300 ms a snapshot).
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="checkins", db_index=False)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=CheckInStatus.choices, default=CheckInStatus.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    deed_done_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80)
    distance_m = models.FloatField(null=True, blank=True)
    # After the retention period only a coarse band of the distance is kept (geo.distance_band).
    distance_band_m = models.PositiveIntegerField(null=True, blank=True)
    # The coarse public cell (H3), kept after the raw coordinates are dropped.
    cell = models.CharField(max_length=16, blank=True)
    # Verified and by an established account (rules.counts_on_public_map): only these
    # light up cells on the public map. Decided once, when verified.
    on_public_map = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Beyond the fix: the presence code the person read off a screen at the spot, and,
    # for a check-in tapped with no signal and sent later, when the phone took its fix.
    # Database defaults: the batch insert (checkin_batch.py) names only the hot columns.
    presence_code = models.CharField(max_length=6, blank=True, default="", db_default="")
    fixed_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=10, choices=CheckInMethod.choices, blank=True, default="", db_default="")
    synced_late = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            # Only the check-ins still waiting for their verdict, in the order they are
            # judged: a verdict leaves it instead of writing one more index entry, and
            # the verifier and the sweep read a few rows instead of an action's crowd.
            models.Index(
                fields=["action", "received_at"],
                name="checkin_pending",
                condition=models.Q(status=CheckInStatus.PENDING),
            ),
            models.Index(fields=["action", "status", "cell"], name="checkin_action_status_cell"),
            models.Index(fields=["action", "cell"], name="checkin_public_map", condition=models.Q(on_public_map=True)),
            models.Index(
                fields=["action", "-deed_done_at"],
                name="checkin_action_deeds",
                condition=models.Q(deed_done_at__isnull=False, status="verified"),
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.action_id is None:
            self.action_id = self.pledge.action_id
        super().save(*args, **kwargs)


class Announcement(models.Model):
    """A short message from the organizer to everyone on the action."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="announcements")
    text = models.CharField(max_length=280)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["action", "-created_at"], name="announcement_recent")]


class Receipt(models.Model):
    """A signed record of one verified deed (services/receipts.py): anyone can check it
    offline with the server's public key. `payload` is the exact signed text."""

    public_id = models.CharField(max_length=32, unique=True)
    checkin = models.OneToOneField(CheckIn, on_delete=models.CASCADE, related_name="receipt")
    payload = models.TextField()
    signature = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)


class Movement(models.Model):
    """One deed carried to many places: the original action and its forks. Its tally is
    the exact sum of theirs, recounted from rows (selectors.movement_counts)."""

    deed = models.CharField(max_length=280)
    title = models.CharField(max_length=120)
    origin = models.ForeignKey("Action", on_delete=models.SET_NULL, null=True, related_name="+")
    # Grows by one for every broadcast movement snapshot, like Action.seq.
    seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("movement", args=[self.pk])


class CoOrganizer(models.Model):
    """Invited by the lead by handle; steers the action once accepted (services/organizers.py)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="co_organizers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="co_organizing")
    invited_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "user"], name="co_organizer_once")]


class Spotlight(models.Model):
    """An action lending its screens to another (at most rules.SPOTLIGHT_MAX)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="spotlights")
    target = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="spotlighted_by")
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "target"], name="spotlight_once")]
        ordering = ["position"]


class Raid(models.Model):
    """At or after its end, an action hands its crowd to another: one raid per action."""

    source = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="raid")
    target = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="raided_by")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)


class ShareVisit(models.Model):
    """Visits through a participant's share link, counted per sharer: who visited is never kept."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="share_visits")
    sharer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_visits")
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "sharer"], name="share_visit_per_sharer")]


class Momentum(models.Model):
    """Levels on an action: each `deeds` verified deeds within `within_minutes` (counted
    after the previous level) reach the next level and move the end by `add_minutes`,
    until `cap_minutes` have been added in all (services/momentum.py)."""

    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="momentum")
    deeds = models.PositiveIntegerField()
    within_minutes = models.PositiveIntegerField()
    add_minutes = models.PositiveIntegerField()
    cap_minutes = models.PositiveIntegerField()
    level = models.PositiveIntegerField(default=0)
    added_minutes = models.PositiveIntegerField(default=0)
    level_reached_at = models.DateTimeField(null=True, blank=True)


class Dispatch(models.Model):
    """Nearest-first dispatch: watchers are alerted ring by ring around the action until
    enough have pledged, the rings reach `max_radius_km` or the action starts."""

    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="dispatch")
    wanted = models.PositiveIntegerField()
    max_radius_km = models.PositiveIntegerField()
    begins_at = models.DateTimeField()
    # The next ring to send (0 is the action's own cell), and what has been done.
    next_ring = models.PositiveSmallIntegerField(default=0)
    rings_sent = models.PositiveSmallIntegerField(default=0)
    alerted = models.PositiveIntegerField(default=0)
    last_ring_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_because = models.CharField(max_length=20, blank=True)
