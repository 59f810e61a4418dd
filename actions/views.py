"""Pages. Each view parses a form or a URL and calls a service or a selector."""

from __future__ import annotations

import csv
import io
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from . import ratelimit, selectors, services
from .errors import RateLimited, ServiceError
from .forms import JoinForm, LaunchForm, SignupForm, UpgradeForm, apply_service_error, default_start
from .models import Action
from .responses import too_many

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _action_or_404(slug: str) -> Action:
    action = selectors.get_action(slug)
    if action is None:
        raise Http404("No such action")
    return action


def cards(actions: Any) -> list[dict[str, Any]]:
    return [selectors.feed_item(a) for a in actions]


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"open_actions": cards(selectors.open_actions()[:12])}
    if user.is_authenticated:
        context["feed"] = cards(selectors.feed_for(user))
        context["mine"] = cards(selectors.actions_by(user, limit=6))
    return render(request, "actions/home.html", context)


def locked_out(request: HttpRequest, original_response: object = None, credentials: object = None) -> HttpResponse:
    """django-axes: too many wrong passwords for this name from this address."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    detail = f"Too many wrong passwords. Try again in {seconds // 60} minutes, or reset it by signing up anew."
    return too_many(request, RateLimited("locked_out", detail, retry_after=seconds))


class LoginView(auth_views.LoginView):
    """Django's login, with a brake on one address trying many names (axes locks a name)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            ratelimit.check("login", ratelimit.client_ip(request))
        except RateLimited as exc:
            return too_many(request, exc)
        return super().post(request, *args, **kwargs)


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("signup", ratelimit.client_ip(request))
        except RateLimited as exc:
            return too_many(request, exc)
        try:
            user = services.create_member(
                form.cleaned_data["username"], form.cleaned_data["password1"], form.cleaned_data.get("display_name")
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    profile = services.ensure_profile(request.user)
    form = UpgradeForm(request.POST or None, user=request.user) if profile.is_guest else None
    token = None
    if request.method == "POST" and request.POST.get("intent") == "token":
        try:
            ratelimit.check("token", str(request.user.pk))
        except RateLimited as exc:
            return too_many(request, exc)
        token = services.issue_token(request.user)
    elif form is not None and request.method == "POST" and form.is_valid():
        try:
            services.upgrade_guest(request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
            return render(request, "registration/account.html", {"profile": profile, "form": form, "token": None})
        login(request, request.user, backend=LOGIN_BACKEND)  # password changed: keep the session
        messages.success(request, "Saved. Your pledges and actions are kept; sign in with your new password.")
        return redirect("account")
    return render(request, "registration/account.html", {"profile": profile, "form": form, "token": token})


def profile(request: HttpRequest, handle: str) -> HttpResponse:
    found = selectors.get_profile(handle)
    if found is None:
        raise Http404("No such person")
    return render(
        request,
        "actions/profile.html",
        {
            "person": found,
            "followers": selectors.follower_count(found.user),
            "following": selectors.is_following(request.user, found.user),
            "actions": cards(selectors.actions_by(found.user)),
        },
    )


@require_POST
@login_required
def toggle_follow(request: HttpRequest, handle: str) -> HttpResponse:
    found = selectors.get_profile(handle)
    if found is None:
        raise Http404("No such person")
    try:
        ratelimit.check("follow", str(request.user.pk))
        if request.POST.get("intent") == "unfollow":
            services.unfollow(request.user, found.user)
        else:
            services.follow(request.user, found.user)
    except RateLimited as exc:
        return too_many(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect("profile", handle=found.handle)


@login_required
def launch(request: HttpRequest) -> HttpResponse:
    form = LaunchForm(request.POST or None, initial={"starts_at": default_start()})
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("launch", str(request.user.pk))
            action = services.launch_action(request.user, form.launch_input())
        except RateLimited as exc:
            return too_many(request, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "Launched. Your followers have been told.")
            return redirect(action)
    return render(request, "actions/launch.html", {"form": form})


@ensure_csrf_cookie
def action_page(request: HttpRequest, slug: str) -> HttpResponse:
    action = _action_or_404(slug)
    me = selectors.my_state(action, request.user)
    return render(
        request,
        "actions/action.html",
        {
            "action": action,
            "snapshot": selectors.snapshot(action),
            "me": me,
            "is_organizer": request.user.is_authenticated and action.organizer_id == request.user.pk,
            "join_form": JoinForm(initial={"ref": request.GET.get("ref", "")}),
            "followed_pledgers": selectors.followed_pledgers(action, request.user),
            "followed_handles": selectors.followed_handles(request.user),
            "share_url": request.build_absolute_uri(selectors.share_path(action, me["handle"]))
            if me["handle"]
            else None,
            "join_url": request.build_absolute_uri(f"/j/{action.join_code}"),
        },
    )


@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """One form, one tap: becomes a guest if needed, then pledges."""
    action = _action_or_404(slug)
    form = JoinForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please check your name.")
        return redirect(action)
    try:
        if not request.user.is_authenticated:
            ratelimit.check_new_guest(ratelimit.client_ip(request))
            user = services.create_guest(form.cleaned_data["name"])
            login(request, user, backend=LOGIN_BACKEND)
        ratelimit.check("pledge", str(request.user.pk))
        services.pledge(action, request.user, ref_handle=form.cleaned_data.get("ref") or None)
    except RateLimited as exc:
        return too_many(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect(action)


@require_POST
@login_required
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    action = _action_or_404(slug)
    try:
        services.cancel_action(action, request.user)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect(action)


@cache_control(max_age=3600)
def qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    action = _action_or_404(slug)
    code = segno.make(request.build_absolute_uri(f"/j/{action.join_code}"), error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=2, dark="#111827", light="#ffffff", omitsize=True, xmldecl=False)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


def join_by_code(request: HttpRequest, code: str | None = None) -> HttpResponse:
    code = code or request.GET.get("code", "")
    action = selectors.get_action_by_code(code)
    if action is None:
        if code:
            messages.error(request, f"No action has the code “{code.strip().upper()[:12]}”. Check it and try again.")
        return redirect("home")
    return redirect(action)


@xframe_options_exempt  # embedded as an OBS browser source or in a streaming page
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    action = _action_or_404(slug)
    return render(
        request,
        "actions/dashboard.html",
        {
            "action": action,
            "snapshot": selectors.snapshot(action),
            "overlay": request.GET.get("overlay") == "1",
            "join_host": request.get_host(),
        },
    )


def _organizer_action_or_403(request: HttpRequest, slug: str) -> Action:
    action = _action_or_404(slug)
    try:
        services.require_organizer(action, request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.detail) from None
    return action


@login_required
@ensure_csrf_cookie
def console(request: HttpRequest, slug: str) -> HttpResponse:
    action = _organizer_action_or_403(request, slug)
    return render(
        request,
        "actions/console.html",
        {
            "action": action,
            "snapshot": selectors.snapshot(action),
            "funnel": selectors.funnel(action),
            "join_url": request.build_absolute_uri(f"/j/{action.join_code}"),
        },
    )


def results(request: HttpRequest, slug: str) -> HttpResponse:
    action = _action_or_404(slug)
    snapshot = selectors.snapshot(action)
    counts = snapshot["counts"]
    return render(
        request,
        "actions/results.html",
        {
            "action": action,
            "snapshot": snapshot,
            "percent": min(100, 100 * counts["deeds"] // counts["goal"]) if counts["goal"] else 0,
            "referrers": selectors.top_referrers(action),
            "is_organizer": request.user.is_authenticated and action.organizer_id == request.user.pk,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    action = _organizer_action_or_403(request, slug)
    writer = csv.writer(_Echo())
    response = HttpResponse((writer.writerow(row) for row in selectors.csv_rows(action)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="goodmob-{action.slug}.csv"'
    return response
