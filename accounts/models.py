from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    handle = models.SlugField(max_length=40, unique=True)
    display_name = models.CharField(max_length=60)
    is_guest = models.BooleanField(default=False)
    # The address in User.email, confirmed by a link sent to it (accounts/verification.py).
    email_verified = models.BooleanField(default=False)
    # Vouched for by a moderator (in the admin): their actions are listed publicly from
    # the start, without the track record others need (actions.rules, public listing).
    trusted = models.BooleanField(default=False)
    # Whether the cascade (who brought whom) may show this person's display name; off,
    # they appear there only as a pseudonym. Members start with it on, guests off.
    named_in_cascade = models.BooleanField(default=False)
    # The language the person last used the site in: alerts and emails speak it.
    language = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        db_table = "actions_profile"  # made by the `actions` app before the split

    def __str__(self) -> str:
        return f"@{self.handle}"

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.handle])


class ApiToken(models.Model):
    """A bearer token for scripts; only its SHA-256 is stored. A token unused for
    TOKEN_IDLE_DAYS stops working (services.active_tokens)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once an hour per token: the hot path must not write per request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "actions_apitoken"
