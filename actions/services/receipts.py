"""Receipts: each verified deed yields a record signed with the server's Ed25519 key.

The payload is canonical JSON (sorted keys, no spaces, UTF-8) and names the action, the
deed, a coarse area (an H3 cell of about 5 km², never the place itself), the action's
time window and the holder's handle. GET /api/v1/receipts/key gives the raw public key;
anyone can verify a receipt offline with it.

The key is RECEIPT_SIGNING_KEY (base64url of a 32-byte seed) where set; otherwise it is
derived from SECRET_KEY, so a deployment keeps one key without extra setup.
"""

from __future__ import annotations

import base64
import json
import secrets
from functools import cache
from typing import Any

import h3
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.selectors import handle_of
from common.times import iso

from .. import events
from ..models import CheckIn, CheckInStatus, Receipt

RECEIPT_CELL_RESOLUTION = 7  # about 5 km²: where, roughly, without pointing at anyone


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@cache
def signing_key() -> Ed25519PrivateKey:
    configured = getattr(settings, "RECEIPT_SIGNING_KEY", "")
    if configured:
        seed = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
    else:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"goodmob receipts").derive(
            settings.SECRET_KEY.encode()
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key() -> str:
    return b64url(signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@events.listen(events.DeedDone)
def on_deed(event: events.DeedDone) -> None:
    issue(event.checkin_id)


def issue(checkin_id: int) -> Receipt | None:
    """The receipt of a verified deed (idempotent: a second call returns the first)."""
    checkin = (
        CheckIn.objects.select_related("action", "pledge__user__profile")
        .filter(pk=checkin_id, status=CheckInStatus.VERIFIED, deed_done_at__isnull=False)
        .first()
    )
    if checkin is None:
        return None
    existing = Receipt.objects.filter(checkin=checkin).first()
    if existing is not None:
        return existing
    action, public_id = checkin.action, secrets.token_urlsafe(12)
    area = h3.cell_to_parent(checkin.cell, RECEIPT_CELL_RESOLUTION) if checkin.cell else None
    payload = canonical(
        {
            "v": 1,
            "id": public_id,
            "kind": "goodmob.deed",
            "action": action.slug,
            "title": action.title,
            "deed": action.deed,
            "area": area,
            "window": [iso(action.starts_at), iso(action.ends_at)],
            "holder": handle_of(checkin.pledge.user),
            "issuer": settings.RECEIPT_ISSUER,
        }
    )
    signature = b64url(signing_key().sign(payload.encode()))
    try:
        with transaction.atomic():
            return Receipt.objects.create(public_id=public_id, checkin=checkin, payload=payload, signature=signature)
    except IntegrityError:
        return Receipt.objects.filter(checkin=checkin).first()
