"""Pages of the network: taking a deed to your own place (a fork), and the movement that
forks of one deed form."""

from __future__ import annotations

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt

from accounts import services as accounts
from accounts.auth import LOGIN_BACKEND, signed_in_user
from common import ratelimit
from common.errors import RateLimited, ServiceError
from common.forms import apply_service_error
from common.responses import too_many

from . import movements, rules, services
from .forms import ForkForm
from .models import Movement
from .views import action_or_404, map_settings, qr_response, shown


@shown
def fork(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Do this near me": the original's deed, your place (the browser's location) and time."""
    original = action_or_404(slug)
    if rules.is_closed(original, timezone.now()):
        messages.error(request, _("This action is over; pick an open one of its movement to do it near you."))
        return redirect(original.movement or original)
    signed_in = request.user.is_authenticated
    form = ForkForm(request.POST or None, initial=ForkForm.initial_from(original), signed_in=signed_in)
    if request.method == "POST" and form.is_valid():
        try:
            if not signed_in:
                ratelimit.check_new_guest(ratelimit.client_ip(request))
                login(request, accounts.create_guest(form.cleaned_data["name"]), backend=LOGIN_BACKEND)
            organizer = signed_in_user(request)
            ratelimit.check("launch", str(organizer.pk))
            made = services.fork_action(original, organizer, form.fork_input(original))
        except RateLimited as exc:
            return too_many(request, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your local action is on. Share it: people near you can join."))
            return redirect(made)
    return render(request, "actions/launch.html", {"form": form, "original": original, **map_settings()})


def _movement_or_404(movement_id: int) -> Movement:
    movement = movements.get_movement(movement_id)
    if movement is None:
        raise Http404("No such movement")
    return movement


def movement(request: HttpRequest, movement_id: int) -> HttpResponse:
    found = _movement_or_404(movement_id)
    return render(
        request,
        "actions/movement.html",
        {"movement": found, "snapshot": movements.snapshot(found), "source": movements.fork_source(found)},
    )


@xframe_options_exempt  # a browser source on stream, like an action's dashboard
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]
def movement_live(request: HttpRequest, movement_id: int) -> HttpResponse:
    found = _movement_or_404(movement_id)
    return render(
        request,
        "actions/movement_live.html",
        {
            "movement": found,
            "snapshot": movements.snapshot(found),
            "overlay": request.GET.get("overlay") == "1",
            "join_host": request.get_host(),
        },
    )


@cache_control(max_age=3600)
def movement_qr(request: HttpRequest, movement_id: int) -> HttpResponse:
    found = _movement_or_404(movement_id)
    return qr_response(request.build_absolute_uri(found.get_absolute_url()))
