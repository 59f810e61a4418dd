"""Security headers: a strict CSP and Permissions-Policy on every page, the same set on
the edge door's answers as on Django's, and a dashboard that streaming pages may embed."""

from __future__ import annotations

import pytest
from channels.testing.http import HttpCommunicator
from django.test import Client

from common import hosts
from goodmob.asgi import application

from .conftest import call
from .factories import SPOT, live_action_and_token

SECURITY = {
    b"x-content-type-options",
    b"referrer-policy",
    b"cross-origin-opener-policy",
    b"x-frame-options",
    b"content-security-policy",
    b"permissions-policy",
    b"strict-transport-security",
}


def directives(policy: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_pages_get_a_strict_policy(action):
    response = Client().get(f"/a/{action.slug}")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'self'"] and response["X-Frame-Options"] == "DENY"
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_the_dashboard_may_be_embedded_anywhere(action):
    response = Client().get(f"/a/{action.slug}/live?overlay=1")
    assert directives(response["Content-Security-Policy"])["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in response


async def security_of(headers: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in headers.items() if name.lower() in SECURITY}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("proto", [b"http", b"https"])
async def test_the_edge_door_sends_what_django_sends(proto, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    action, token = await live_action_and_token()
    forwarded = [(b"x-forwarded-proto", proto)]
    _, _, edge = await call(
        f"/api/v1/actions/{action.slug}/checkins", token, {**SPOT, "idempotency_key": "hdr-000001"}, extra=forwarded
    )
    django = await HttpCommunicator(
        application,
        "GET",
        f"/api/v1/actions/{action.slug}/tally",
        headers=[(b"host", b"127.0.0.1:8000"), *forwarded],
    ).get_response(timeout=10)
    from_django = await security_of(dict(django["headers"]))
    assert await security_of(edge) == from_django
    assert (b"strict-transport-security" in from_django) == (proto == b"https")
    assert set(from_django) >= SECURITY - {b"strict-transport-security"}


@pytest.mark.parametrize(
    "host, served",
    [
        (b"localhost:8000", True),
        (b"www.goodmob.example", True),  # a leading dot allows the subdomains
        (b"goodmob.example", True),
        (b"evil.example", False),
        (b"localhost.evil.example", False),
        (b"", False),
        (b"[::1", False),
        (b"\xff\xfe", False),
    ],
)
def test_the_host_check_is_djangos(host, served):
    allowed = ("localhost", ".goodmob.example")
    assert hosts.served(host, allowed) is served
