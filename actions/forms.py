from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from . import services
from .errors import ServiceError
from .services import actions as rules


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.detail)


class SignupForm(UserCreationForm):
    display_name = forms.CharField(max_length=60, required=False, help_text="How others see you. Optional.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class UpgradeForm(forms.Form):
    username = forms.SlugField(max_length=40, help_text="Letters, digits, - and _.")
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if services.name_taken(username, besides=self.user):
            raise forms.ValidationError("That name is taken; pick another.")
        return username

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user


class JoinForm(forms.Form):
    name = forms.CharField(max_length=60, required=False, label="Your name")
    ref = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)


class LaunchForm(forms.Form):
    title = forms.CharField(
        max_length=rules.TITLE_MAX, widget=forms.TextInput(attrs={"placeholder": "Litter pick on Market Square"})
    )
    deed = forms.CharField(
        max_length=rules.DEED_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Pick up one piece of litter and bin it."}),
        help_text="One sentence: what everyone does.",
    )
    anywhere = forms.BooleanField(required=False, label="Anywhere: people do it wherever they are")
    place_name = forms.CharField(max_length=rules.PLACE_NAME_MAX, required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, label="Latitude")
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, label="Longitude")
    radius_m = forms.IntegerField(
        required=False, initial=150, min_value=rules.RADIUS_MIN, max_value=rules.RADIUS_MAX, label="Radius (metres)"
    )
    starts_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        label="Starts at",
    )
    tz_offset = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=-900, max_value=900)
    duration_minutes = forms.IntegerField(
        min_value=1, max_value=rules.DURATION_MAX, initial=15, label="Duration (minutes)"
    )
    goal = forms.IntegerField(min_value=1, max_value=rules.GOAL_MAX, initial=50, label="Goal (deeds)")
    capacity = forms.IntegerField(
        required=False, min_value=1, max_value=rules.CAPACITY_MAX, help_text="Optional: most people who can pledge."
    )

    def clean(self) -> dict:
        data = super().clean()
        starts = data.get("starts_at")
        if starts is not None:
            # datetime-local carries no zone: the page sends the browser's offset
            # (minutes behind UTC, as getTimezoneOffset gives it).
            naive = starts.replace(tzinfo=None)
            data["starts_at"] = (naive + timedelta(minutes=data.get("tz_offset") or 0)).replace(tzinfo=UTC)
        if data.get("anywhere"):
            data["radius_m"] = None
        elif not self.errors and (data.get("lat") is None or data.get("lon") is None):
            raise forms.ValidationError("Set the place (latitude and longitude), or tick Anywhere.")
        elif not self.errors and data.get("radius_m") is None:
            data["radius_m"] = 150
        return data

    def launch_input(self) -> services.LaunchInput:
        data = self.cleaned_data
        return services.LaunchInput(
            title=data["title"],
            deed=data["deed"],
            place_name=data.get("place_name") or "",
            lat=data.get("lat"),
            lon=data.get("lon"),
            radius_m=data.get("radius_m"),
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            goal=data["goal"],
            capacity=data.get("capacity"),
        )


def default_start() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=10)
