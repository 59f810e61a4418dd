"""Pages of people: the home feed, profiles and the follow button."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.auth import signed_in_user
from accounts.selectors import get_profile
from actions.selectors import actions_by, feed_item, impact, publicly_listed
from common import prompts, ratelimit
from common.errors import RateLimited, ServiceError
from common.responses import too_many

from . import selectors, services


def cards(actions: Any) -> list[dict[str, Any]]:
    return [feed_item(a) for a in actions]


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"open_actions": cards(publicly_listed()[:12])}
    if user.is_authenticated:
        context["feed"] = cards(selectors.feed_for(user))
        context["mine"] = cards(actions_by(user, limit=6))
    return render(request, "actions/home.html", context)


def near(request: HttpRequest) -> HttpResponse:
    """Nearest first around the phone: the page asks for the location on a tap and
    searches the API with it; the server never sees it outside that query."""
    return render(request, "actions/near.html")


def profile(request: HttpRequest, handle: str) -> HttpResponse:
    found = get_profile(handle)
    if found is None:
        raise Http404("No such person")
    return render(
        request,
        "actions/profile.html",
        {
            "person": found,
            "followers": selectors.follower_count(found.user),
            "following": selectors.is_following(request.user, found.user),
            "blocking": selectors.is_blocking(request.user, found.user),
            "impact": impact(found.user),
            "actions": cards(actions_by(found.user)),
        },
    )


@require_POST
@login_required
def toggle_follow(request: HttpRequest, handle: str) -> HttpResponse:
    found = get_profile(handle)
    if found is None:
        raise Http404("No such person")
    user = signed_in_user(request)
    try:
        ratelimit.check("follow", str(user.pk))
        intent = request.POST.get("intent")
        if intent == "unfollow":
            services.unfollow(user, found.user)
        elif intent == "block":
            services.block(user, found.user)
            messages.success(request, "Blocked: their actions and messages no longer reach you.")
        elif intent == "unblock":
            services.unblock(user, found.user)
        else:
            services.follow(user, found.user)
            prompts.offer_alerts(request, "follow")
    except RateLimited as exc:
        return too_many(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect("profile", handle=found.handle)
