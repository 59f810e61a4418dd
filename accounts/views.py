"""Account pages: sign up, sign in (throttled), and one's own account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from common import ratelimit
from common.errors import RateLimited, ServiceError
from common.forms import apply_service_error
from common.responses import too_many

from . import personal, services, verification
from .auth import LOGIN_BACKEND, signed_in_user
from .forms import SharingForm, SignupForm, TokenForm, UpgradeForm


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
                form.cleaned_data["username"],
                form.cleaned_data["password1"],
                form.cleaned_data.get("display_name"),
                email=form.cleaned_data.get("email") or "",
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            if verification.send_link(user, site_of(request)):
                messages.info(request, f"We sent a link to {user.email} to confirm it.")
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = services.ensure_profile(user)
    upgrade = UpgradeForm(request.POST or None, user=user) if profile.is_guest else None
    token_form = TokenForm(request.POST or None)
    initial = {"display_name": profile.display_name, "named_in_cascade": profile.named_in_cascade}
    sharing = SharingForm(request.POST if request.POST.get("intent") == "sharing" else None, initial=initial)
    # A form without an intent is the guest's upgrade form (the first form this page had).
    intent = request.POST.get("intent", "upgrade") if request.method == "POST" else None
    token = None
    if intent == "token" and token_form.is_valid():
        try:
            ratelimit.check("token", str(user.pk))
        except RateLimited as exc:
            return too_many(request, exc)
        token = services.issue_token(user, token_form.cleaned_data["name"])
    elif intent == "sharing" and sharing.is_valid():
        try:
            services.update_profile(
                user,
                name=sharing.cleaned_data["display_name"],
                named_in_cascade=sharing.cleaned_data["named_in_cascade"],
            )
        except ServiceError as exc:
            apply_service_error(sharing, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("account")
    elif intent == "revoke":
        if services.revoke_token(user, _int(request.POST.get("token_id"))):
            messages.success(request, "Token revoked: it no longer works.")
        return redirect("account")
    elif intent == "verify":
        try:
            ratelimit.check("verify_email", str(user.pk))
        except RateLimited as exc:
            return too_many(request, exc)
        if verification.send_link(user, site_of(request)):
            messages.info(request, f"We sent a new link to {user.email}.")
        return redirect("account")
    elif intent == "upgrade" and upgrade is not None and upgrade.is_valid():
        try:
            services.upgrade_guest(user, **upgrade.cleaned_data)
        except ServiceError as exc:
            apply_service_error(upgrade, exc)
        else:
            login(request, user, backend=LOGIN_BACKEND)  # password changed: keep the session
            verification.send_link(user, site_of(request))
            messages.success(request, "Saved. Your pledges and actions are kept; sign in with your new password.")
            return redirect("account")
    context = {
        "profile": profile,
        "form": upgrade,
        "token": token,
        "token_form": TokenForm() if token else token_form,
        "sharing": sharing,
        "tokens": services.tokens_of(user),
        "token_idle_days": services.TOKEN_IDLE.days,
    }
    return render(request, "registration/account.html", context)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    user = verification.confirm(token)
    if user is None:
        messages.error(request, "That link has expired or no longer matches your address. Ask for a new one.")
    else:
        messages.success(request, f"Thanks: {user.email} is confirmed.")
    return redirect("account" if request.user.is_authenticated else "login")


def site_of(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, with a brake per address (each request may send an email)."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            ratelimit.check("reset", ratelimit.client_ip(request))
        except RateLimited as exc:
            return too_many(request, exc)
        return super().post(request, *args, **kwargs)


@login_required
def export_download(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    response = JsonResponse(personal.export(user), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="goodmob-{user.get_username()}.json"'
    return response


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """A page that asks once more: the account goes at once and cannot come back."""
    user = signed_in_user(request)
    profile = services.ensure_profile(user)
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().lower() != profile.handle:
            messages.error(request, f"Type your handle, {profile.handle}, to confirm.")
        else:
            personal.delete_account(user)
            logout(request)
            messages.success(request, "Your account is deleted. Your deeds still count, with no name on them.")
            return redirect("home")
    return render(request, "registration/delete_account.html", {"profile": profile})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy.html", {"retention_hours": settings.GOODMOB["COORDINATE_RETENTION_HOURS"]})
