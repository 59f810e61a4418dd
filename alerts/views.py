"""Pages: alert settings with watch areas (the account's "Alerts" page), and turning a
kind of alert off from the link in an alert."""

from __future__ import annotations

import h3
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from accounts.auth import signed_in_user
from accounts.services import remember_language
from social.models import WatchArea

from . import services
from .messages import PREFERENCE_LABELS


class PreferencesForm(forms.Form):
    followed = forms.BooleanField(required=False, label=PREFERENCE_LABELS["followed"])
    nearby = forms.BooleanField(required=False, label=PREFERENCE_LABELS["nearby"])
    reminders = forms.BooleanField(required=False, label=PREFERENCE_LABELS["reminders"])
    nudges = forms.BooleanField(required=False, label=PREFERENCE_LABELS["nudges"])
    changes = forms.BooleanField(required=False, label=PREFERENCE_LABELS["changes"])
    email = forms.BooleanField(required=False, label=_("Also send them by email"))


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    remember_language(user, request.LANGUAGE_CODE)
    form = PreferencesForm(request.POST or None, initial=services.preferences(user))
    if request.method == "POST" and form.is_valid():
        services.set_preferences(user, **form.cleaned_data)
        messages.success(request, _("Alert settings saved."))
        return redirect("alerts")
    areas = [
        {
            "id": area.pk,
            "radius_km": area.radius_km,
            "cells": [
                {
                    "boundary": [list(p) for p in h3.cell_to_boundary(c.cell)],
                    "lat": h3.cell_to_latlng(c.cell)[0],
                    "lon": h3.cell_to_latlng(c.cell)[1],
                    "people": 1,
                }
                for c in area.cells.all()
            ],
        }
        for area in WatchArea.objects.filter(user=user).prefetch_related("cells").order_by("pk")
    ]
    return render(
        request,
        "alerts/alerts.html",
        {
            "form": form,
            "areas": areas,
            "email_ready": bool(user.email) and user.profile.email_verified,
            "subscriptions": user.push_subscriptions.count(),
        },
    )


@csrf_exempt  # the token is the credential; mail clients' one-click unsubscribe POSTs here
def turn_off(request: HttpRequest, token: str) -> HttpResponse:
    found = services.read_off_token(token)
    if found is None:
        return render(request, "alerts/off.html", {"invalid": True}, status=400)
    user_id, preference = found
    label = "all alerts" if preference == "all" else PREFERENCE_LABELS[preference].split(":")[0].lower()
    if request.method == "POST":
        services.turn_off(user_id, preference)
        return render(request, "alerts/off.html", {"done": True, "label": label})
    return render(request, "alerts/off.html", {"label": label, "token": token})
