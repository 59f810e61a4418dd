from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.services import NAME_MAX

from . import geo, rules
from .models import Action


class JoinForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX, required=False, label=_("Your name"))
    ref = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)
    via_raid = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    via_spotlight = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)


class LaunchForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=rules.TITLE_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("Litter pick on Market Square")}),
    )
    deed = forms.CharField(
        label=_("Deed"),
        max_length=rules.DEED_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Pick up one piece of litter and bin it.")}),
        help_text=_("One sentence: what everyone does."),
    )
    anywhere = forms.BooleanField(required=False, label=_("Anywhere: people do it wherever they are"))
    place_name = forms.CharField(max_length=rules.PLACE_NAME_MAX, required=False, label=_("Place name"))
    lat = forms.FloatField(required=False, min_value=geo.LAT_MIN, max_value=geo.LAT_MAX, label=_("Latitude"))
    lon = forms.FloatField(required=False, min_value=geo.LON_MIN, max_value=geo.LON_MAX, label=_("Longitude"))
    radius_m = forms.IntegerField(
        required=False,
        initial=rules.DEFAULT_RADIUS,
        min_value=rules.RADIUS_MIN,
        max_value=rules.RADIUS_MAX,
        label=_("Radius (metres)"),
    )
    starts_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        label=_("Starts at"),
    )
    tz_offset = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=-900, max_value=900)
    duration_minutes = forms.IntegerField(
        min_value=1, max_value=rules.DURATION_MAX, initial=15, label=_("Duration (minutes)")
    )
    goal = forms.IntegerField(min_value=1, max_value=rules.GOAL_MAX, initial=50, label=_("Goal (deeds)"))
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=1,
        max_value=rules.CAPACITY_MAX,
        help_text=_("Optional: most people who can pledge."),
    )
    dispatch_people = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=rules.DISPATCH_PEOPLE_MAX,
        label=_("Ask people nearby"),
        help_text=_(
            "Optional: how many helpers you need. People watching the area hear of it, nearest first, "
            "widening every minute. Needs a track record."
        ),
    )
    dispatch_radius_km = forms.IntegerField(
        required=False, min_value=1, max_value=rules.DISPATCH_RADIUS_KM_MAX, initial=10, label=_("…up to (km) away")
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
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
            data["radius_m"] = rules.DEFAULT_RADIUS
        return data

    def dispatch_input(self) -> rules.DispatchInput | None:
        people = self.cleaned_data.get("dispatch_people")
        if not people:
            return None
        return rules.DispatchInput(people=people, max_radius_km=self.cleaned_data.get("dispatch_radius_km") or 10)

    def launch_input(self) -> rules.LaunchInput:
        return rules.launch_input({**self.cleaned_data, "place_name": self.cleaned_data.get("place_name") or ""})


class ForkForm(LaunchForm):
    """A launch with the deed fixed to the original's; a visitor gives a name and becomes
    a guest in the same tap, as when joining."""

    name = forms.CharField(max_length=NAME_MAX, required=False, label=_("Your name"))
    field_order = ["name"]

    def __init__(self, *args: object, signed_in: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        del self.fields["deed"]
        if signed_in:
            del self.fields["name"]

    @staticmethod
    def initial_from(original: Action) -> dict[str, object]:
        return {
            **rules.copied_by_fork(original),
            "radius_m": original.radius_m or rules.DEFAULT_RADIUS,
            "anywhere": original.is_anywhere,
            "starts_at": default_start(),
        }

    def fork_input(self, original: Action) -> rules.LaunchInput:
        return rules.fork_input(
            original, {**self.cleaned_data, "place_name": self.cleaned_data.get("place_name") or ""}
        )


def again_from(previous: Action) -> dict[str, object]:
    """ "Launch again": what a fork would copy, and the deed and place as well."""
    where = {"place_name": previous.place_name, "lat": previous.lat, "lon": previous.lon}
    return {**ForkForm.initial_from(previous), **where, "deed": previous.deed, "capacity": previous.capacity}


def default_start() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=10)
