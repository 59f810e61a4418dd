"""Account pages: sign up, sign in (throttled), and one's own account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common import ratelimit
from common.errors import RateLimited, ServiceError
from common.forms import apply_service_error
from common.responses import too_many

from . import services
from .auth import LOGIN_BACKEND, signed_in_user
from .forms import SignupForm, UpgradeForm


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
    user = signed_in_user(request)
    profile = services.ensure_profile(user)
    form = UpgradeForm(request.POST or None, user=user) if profile.is_guest else None
    token = None
    if request.method == "POST" and request.POST.get("intent") == "token":
        try:
            ratelimit.check("token", str(user.pk))
        except RateLimited as exc:
            return too_many(request, exc)
        token = services.issue_token(user)
    elif form is not None and request.method == "POST" and form.is_valid():
        try:
            services.upgrade_guest(user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
            return render(request, "registration/account.html", {"profile": profile, "form": form, "token": None})
        login(request, user, backend=LOGIN_BACKEND)  # password changed: keep the session
        messages.success(request, "Saved. Your pledges and actions are kept; sign in with your new password.")
        return redirect("account")
    return render(request, "registration/account.html", {"profile": profile, "form": form, "token": token})
