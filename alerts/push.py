"""Web Push (RFC 8030) with VAPID (RFC 8292): the subscriptions browsers hand us, and
sending to them. `pywebpush` and `py_vapid` do the encryption and the signing; the
request itself goes through `common.outbound`, because a subscription's endpoint is a
URL a client chose and must not reach into our own network, follow a redirect or hold
a worker for long."""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from py_vapid import Vapid02
from pywebpush import WebPusher

from common import metrics, outbound
from common.errors import Invalid, ServiceError

from .models import PushSubscription

SUBSCRIPTIONS_MAX = 10
# A push that waits longer than this at the push service is no longer worth showing.
TTL_SECONDS = 30 * 60


def private_key() -> str:
    return settings.VAPID_PRIVATE_KEY


def public_key() -> str:
    """The applicationServerKey browsers subscribe with: base64url of the raw P-256 point."""
    if not private_key():
        raise ServiceError("push_off", "Web Push is not set up on this server (no VAPID key).", status=404)
    seed = int.from_bytes(_b64decode(private_key()), "big")
    point = ec.derive_private_key(seed, ec.SECP256R1()).public_key()
    raw = point.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(text: str, field: str, length: int) -> bytes:
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length:
        raise Invalid("invalid", f"keys.{field} is not a base64url key of {length} bytes.", field=field)
    return raw


def subscribe(user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep a browser's subscription for `user` (the same browser signing in as someone
    else moves its subscription over). Refused: a URL that is not https or that points at
    a private network, keys that are not what the Push API makes."""
    target = outbound.parse(endpoint, field="endpoint")
    outbound.resolve(target, field="endpoint")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _key(p256dh, "p256dh", 65))
    except ValueError:
        raise Invalid("invalid", "keys.p256dh is not a P-256 public key.", field="p256dh") from None
    _key(auth, "auth", 16)
    with transaction.atomic():
        subscription, _ = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
        )
        # The oldest go first: a person has a few browsers, not an unbounded list.
        keep = PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")[:SUBSCRIPTIONS_MAX]
        PushSubscription.objects.filter(user=user).exclude(pk__in=list(keep.values_list("pk", flat=True))).delete()
    return subscription


def unsubscribe(user: User, endpoint: str) -> None:
    PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()


@dataclass(frozen=True)
class Sent:
    ok: bool
    gone: bool = False
    error: str = ""


def send(subscription: PushSubscription, message: dict[str, Any]) -> Sent:
    """One encrypted push. `gone`: the push service says the subscription expired."""
    sent = _send(subscription, message)
    metrics.PUSHES_SENT.labels("sent" if sent.ok else "gone" if sent.gone else "failed").inc()
    return sent


def _send(subscription: PushSubscription, message: dict[str, Any]) -> Sent:
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        target = outbound.parse(subscription.endpoint, field="endpoint")
        address = outbound.resolve(target, field="endpoint")
    except Invalid as exc:
        return Sent(False, error=exc.detail)
    body = WebPusher(info).encode(json.dumps(message).encode(), "aes128gcm")["body"]
    claims: dict[str, str | int] = {
        "sub": settings.VAPID_SUBJECT,
        "aud": f"{target.scheme}://{target.host}" + ("" if target.port in (80, 443) else f":{target.port}"),
        "exp": int(time.time()) + 12 * 3600,
    }
    headers = {
        **Vapid02.from_string(private_key()).sign(claims),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": message.get("urgency", "normal"),
    }
    answer = outbound.post(target, address, body, headers, settings.GOODMOB["PUSH_TIMEOUT_SECONDS"])
    if answer.status in (404, 410):
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return Sent(False, gone=True)
    if answer.status is not None and 200 <= answer.status < 300:
        return Sent(True)
    return Sent(False, error=answer.error or f"HTTP {answer.status}")
