"""Pages of an action. Each view parses a form or a URL and calls a service or a selector."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from accounts import services as accounts
from accounts.auth import LOGIN_BACKEND, signed_in_user
from common import prompts, ratelimit
from common.errors import RateLimited, ServiceError
from common.forms import apply_service_error
from common.responses import too_many

from . import calendar, cascade, exports, overlays, presence, preview, rules, selectors, services
from .forms import JoinForm, LaunchForm, again_from, default_start
from .models import Action


class HiddenAction(Exception):
    pass


def action_or_404(slug: str) -> Action:
    action = selectors.get_action(slug)
    if action is None:
        raise Http404("No such action")
    if action.is_hidden:
        raise HiddenAction(action.slug)
    return action


def shown(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A hidden action's pages answer 410 with the moderators' notice, for everyone."""

    @functools.wraps(view)
    def page(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, slug, *args, **kwargs)
        except HiddenAction:
            action = selectors.get_action(slug)
            context = {"action": action, "detail": rules.HIDDEN_DETAIL}
            return render(request, "actions/hidden.html", context, status=410)

    return page


@login_required
def launch(request: HttpRequest) -> HttpResponse:
    initial: dict[str, object] = {"starts_at": default_start()}
    previous = selectors.get_action(request.GET.get("again", ""))
    if previous is not None and services.is_organizer(previous, request.user):
        initial = again_from(previous)  # "Launch again" from the console
    form = LaunchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organizer = signed_in_user(request)
            ratelimit.check("launch", str(organizer.pk))
            action = services.launch_action(organizer, form.launch_input(), dispatch=form.dispatch_input())
        except RateLimited as exc:
            return too_many(request, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Launched. Your followers have been told."))
            return redirect(action)
    return render(request, "actions/launch.html", {"form": form, **map_settings()})


def map_settings() -> dict[str, str]:
    return {"map_tiles": settings.MAP_TILE_URL, "map_attribution": settings.MAP_TILE_ATTRIBUTION}


VISITS_COOKIE = "gm_visited"


def _count_visit(request: HttpRequest, response: HttpResponse, action: Action, ref: str) -> None:
    """One visit per browser per action through someone's link. The cookie stays on the
    visitor's device; the server keeps only the sharer's count."""
    seen = request.COOKIES.get(VISITS_COOKIE, "").split(".")
    if str(action.pk) in seen:
        return
    try:
        ratelimit.check("visit", f"{ratelimit.client_ip(request)}:{action.pk}")
    except RateLimited:
        return
    if services.record_visit(action, ref, request.user):
        seen = [*seen[-49:], str(action.pk)]
        response.set_cookie(
            VISITS_COOKIE, ".".join(s for s in seen if s), max_age=7 * 86400, httponly=True, samesite="Lax"
        )


@shown
@ensure_csrf_cookie
def action_page(request: HttpRequest, slug: str) -> HttpResponse:
    action = action_or_404(slug)
    me = selectors.my_state(action, request.user)
    response = render(
        request,
        "actions/action.html",
        {
            "action": action,
            "snapshot": selectors.snapshot(action),
            "duration_minutes": int((action.ends_at - action.starts_at).total_seconds() // 60),
            **map_settings(),
            "me": me,
            "is_organizer": services.is_organizer(action, request.user),
            "is_lead": services.is_lead(action, request.user),
            "invitation": selectors.invitation_for(action, request.user),
            "join_form": JoinForm(
                initial={key: request.GET.get(key, "") for key in ("ref", "via_raid", "via_spotlight")}
            ),
            "share_url": request.build_absolute_uri(selectors.share_path(action, me["handle"]))
            if me["handle"]
            else None,
            "join_url": request.build_absolute_uri(f"/j/{action.join_code}"),
            "overlay_widgets": overlays.WIDGETS,
            "code_screen_url": request.build_absolute_uri(
                f"{reverse('dashboard', args=[action.slug])}?presence={presence.screen_key(action)}"
            ),
        },
    )
    if ref := request.GET.get("ref", ""):
        _count_visit(request, response, action, ref)
    return response


@shown
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """One form, one tap: becomes a guest if needed, then pledges."""
    action = action_or_404(slug)
    form = JoinForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please check your name."))
        return redirect(action)
    try:
        if not request.user.is_authenticated:
            ratelimit.check_new_guest(ratelimit.client_ip(request))
            user = accounts.create_guest(form.cleaned_data["name"])
            login(request, user, backend=LOGIN_BACKEND)
        user = signed_in_user(request)
        ratelimit.check("pledge", str(user.pk))
        came_from = services.Attention(
            form.cleaned_data["via_raid"] or None, form.cleaned_data["via_spotlight"] or None
        )
        services.pledge(action, user, ref_handle=form.cleaned_data.get("ref") or None, came_from=came_from)
        accounts.remember_language(user, request.LANGUAGE_CODE)
        prompts.offer_alerts(request, "pledge")
    except RateLimited as exc:
        return too_many(request, exc)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect(action)


@shown
@require_POST
@login_required
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    action = action_or_404(slug)
    try:
        services.cancel_action(action, request.user)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect(action)


@shown
@cache_control(max_age=3600)
def qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    action = action_or_404(slug)
    return qr_response(request.build_absolute_uri(f"/j/{action.join_code}"))


@shown
def action_ics(request: HttpRequest, slug: str) -> HttpResponse:
    action = action_or_404(slug)
    body = calendar.ics(action, request.build_absolute_uri(action.get_absolute_url()), request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{action.slug}.ics"'
    return response


@shown
@cache_control(max_age=3600)
def preview_png(request: HttpRequest, slug: str) -> HttpResponse:
    """The card a shared link unfurls into (og:image, twitter:image)."""
    action = action_or_404(slug)
    return HttpResponse(
        preview.png(action, request.build_absolute_uri(f"/j/{action.join_code}")), content_type="image/png"
    )


@shown
@never_cache
def presence_qr(request: HttpRequest, slug: str) -> HttpResponse:
    """The QR of the code on the screen now (the code screen reloads it every 30 s)."""
    action = action_or_404(slug)
    if not presence.check_screen_key(action, request.GET.get("key", "")):
        raise PermissionDenied("That key does not open this action's code screen.")
    # The code the screen shows (still taken), so digits and QR agree across a change.
    code = presence.normalize(request.GET.get("code", ""))
    if presence.judge(action, code, timezone.now()):
        code = presence.shown(action, timezone.now()).code
    return qr_response(request.build_absolute_uri(presence.check_in_path(action, code)))


@shown
@cache_control(max_age=300)
def results_png(request: HttpRequest, slug: str) -> HttpResponse:
    """The shareable result card (og:image of the results page)."""
    action = action_or_404(slug)
    return HttpResponse(preview.results_png(action, selectors.counts(action)), content_type="image/png")


def qr_response(url: str) -> HttpResponse:
    code = segno.make(url, error="m")
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=8, border=2, dark="#111827", light="#ffffff", omitsize=True, xmldecl=False)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


def join_by_code(request: HttpRequest, code: str | None = None) -> HttpResponse:
    code = code or request.GET.get("code", "")
    action = selectors.get_action_by_code(code)
    if action is None:
        if not code:
            return redirect("home")
        typed = code.strip()[:20]
        messages.error(
            request,
            _("No action has the code “%(code)s”. Check it against the screen and try again.") % {"code": typed},
        )
        # Back to the field with what was typed still in it, to fix one letter.
        return redirect(f"{reverse('home')}?{urlencode({'code': typed})}#code")
    return redirect(action)


@shown
@xframe_options_exempt  # embedded as an OBS browser source or in a streaming page
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]  # its stub types views as (request) only
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    action = action_or_404(slug)
    return render(
        request,
        "actions/dashboard.html",
        {
            "action": action,
            "snapshot": selectors.snapshot(action),
            "overlay": request.GET.get("overlay") == "1",
            "join_host": request.get_host(),
            # A screen at the spot, opened with the console's link: it shows the presence code.
            "presence_key": key if presence.check_screen_key(action, key := request.GET.get("presence", "")) else "",
        },
    )


@shown
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]
def overlay(request: HttpRequest, slug: str, widget: str) -> HttpResponse:
    """One widget for a stream scene: /a/<slug>/overlay/goal?size=l&corner=tr&accent=ff0066."""
    action = action_or_404(slug)
    if widget not in overlays.WIDGETS:
        raise Http404(f"No overlay called {widget}: there are {', '.join(overlays.WIDGETS)}.")
    chosen = overlays.look(request.GET)
    return render(
        request,
        "actions/overlay.html",
        {
            "action": action,
            "snapshot": selectors.snapshot(action),
            "widget": widget,
            "look": chosen,
            "css": chosen.css(),
            "join_host": request.get_host(),
        },
    )


def _organizer_action_or_403(request: HttpRequest, slug: str) -> Action:
    action = action_or_404(slug)
    try:
        services.require_organizer(action, request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.detail) from None
    return action


@shown
@login_required
@ensure_csrf_cookie
def console(request: HttpRequest, slug: str) -> HttpResponse:
    action = _organizer_action_or_403(request, slug)
    snapshot = selectors.snapshot(action)
    spotlit = [item["slug"] for item in snapshot["spotlight"]]
    return render(
        request,
        "actions/console.html",
        {
            "action": action,
            "snapshot": snapshot,
            "spot_slugs": spotlit + [""] * (rules.SPOTLIGHT_MAX - len(spotlit)),
            "funnel": selectors.funnel(action),
            "is_lead": services.is_lead(action, request.user),
            "organizers": selectors.co_organizers(action, invited=True),
            "join_url": request.build_absolute_uri(f"/j/{action.join_code}"),
            "overlay_widgets": overlays.WIDGETS,
            "code_screen_url": request.build_absolute_uri(
                f"{reverse('dashboard', args=[action.slug])}?presence={presence.screen_key(action)}"
            ),
        },
    )


@shown
def results(request: HttpRequest, slug: str) -> HttpResponse:
    action = action_or_404(slug)
    snapshot = selectors.snapshot(action)
    counts = snapshot["counts"]
    return render(
        request,
        "actions/results.html",
        {
            "action": action,
            "snapshot": snapshot,
            # Past 100% when the goal is beaten: the bar stops full, the number goes on.
            "percent": 100 * counts["deeds"] // counts["goal"] if counts["goal"] else 0,
            "referrers": selectors.top_referrers(action),
            "cascade": cascade.current_frame(action),
            "attention": selectors.attention(action),
            "verified_by": selectors.verified_by(action),
            "is_organizer": services.is_organizer(action, request.user),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@shown
@login_required
def results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    action = _organizer_action_or_403(request, slug)
    writer = csv.writer(_Echo())
    response = HttpResponse((writer.writerow(row) for row in exports.csv_rows(action)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="goodmob-{action.slug}.csv"'
    return response
