"""Pages: the report form anyone signed in can use, and the moderators' queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.auth import signed_in_user
from accounts.selectors import get_profile
from actions import selectors as actions
from common import ratelimit
from common.errors import RateLimited, ServiceError
from common.forms import apply_service_error
from common.responses import too_many

from . import selectors, services
from .models import Reason


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Reason.choices, widget=forms.RadioSelect)
    detail = forms.CharField(
        max_length=services.DETAIL_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Anything else?"
    )


def _target(kind: str, key: str) -> dict[str, Any]:
    if kind == "action":
        action = actions.get_action(key)
        if action is None:
            raise Http404("No such action")
        return {"action": action, "name": action.title, "back": action.get_absolute_url()}
    profile = get_profile(key)
    if profile is None:
        raise Http404("No such person")
    return {"person": profile.user, "name": profile.display_name, "back": profile.get_absolute_url()}


@login_required
def report(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    target = _target(kind, key)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reporter = signed_in_user(request)
        try:
            ratelimit.check("report", str(reporter.pk))
            if "action" in target:
                services.report_action(reporter, target["action"], **form.cleaned_data)
            else:
                services.report_person(reporter, target["person"], **form.cleaned_data)
        except RateLimited as exc:
            return too_many(request, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "Thanks: the moderators will look at it.")
            return redirect(target["back"])
    return render(request, "moderation/report.html", {"form": form, "target": target, "kind": kind})


def _moderator(request: HttpRequest) -> Any:
    user = signed_in_user(request)
    if not services.is_moderator(user):
        raise PermissionDenied("Moderators only.")
    return user


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _moderator(request)
    return render(
        request,
        "moderation/queue.html",
        {
            "cases": selectors.queue(),
            "hidden": selectors.hidden_actions(),
            "decisions": selectors.recent_decisions(20),
            "reasons": dict(Reason.choices),
        },
    )


@require_POST
@login_required
def decide(request: HttpRequest) -> HttpResponse:
    """One click from the queue: hide, restore, dismiss, rename or suspend, with a reason."""
    moderator = _moderator(request)
    what, why = request.POST.get("decision", ""), request.POST.get("reason", "")
    action = actions.get_action(request.POST.get("action", "")) if request.POST.get("action") else None
    profile = get_profile(request.POST.get("person", "")) if request.POST.get("person") else None
    person = profile.user if profile else None
    try:
        if what == "hide" and action:
            services.hide(action, moderator, why)
        elif what == "restore" and action:
            services.restore(action, moderator, why)
        elif what == "dismiss" and (action or person):
            services.dismiss(moderator, why, action=action, person=person)
        elif what == "rename" and person:
            services.rename(person, request.POST.get("name", ""), moderator, why)
        elif what == "suspend" and person:
            services.suspend(person, moderator, why)
        else:
            messages.error(request, "Pick a decision and what it is about.")
            return redirect("moderation_queue")
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Done, and logged.")
    return redirect("moderation_queue")
