"""Email addresses confirmed by a link: a signed, dated token of (user, address), so a
link for an address the person has since changed confirms nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Profile
from .selectors import handle_of

log = logging.getLogger(__name__)

SALT = "goodmob.accounts.verify-email"
LINK_LIFETIME = timedelta(days=3)


def token_for(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=SALT, compress=True)


def send_link(user: User, site: str) -> bool:
    """Email the confirmation link to the user's address; False when there is none."""
    if not user.email:
        return False
    link = site + reverse("verify_email", args=[token_for(user)])
    body = render_to_string("registration/verify_email.txt", {"handle": handle_of(user), "link": link})
    try:
        send_mail("Confirm your email for Good Mob", body, None, [user.email])
    except OSError:
        log.warning("verification email to user %s not sent; they can ask again", user.pk)
        return False
    return True


def confirm(token: str) -> User | None:
    """The user whose current address the link names, now marked verified; else None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or not user.email or user.email != data.get("email"):
        return None
    Profile.objects.filter(user=user).update(email_verified=True)
    return user
