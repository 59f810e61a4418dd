"""The security headers Django's middleware adds to every answer, for doors that answer
without Django (the edge door): one list, built from the same settings."""

from __future__ import annotations

from functools import cache

from csp.utils import build_policy
from django.conf import settings
from django_permissions_policy import PermissionsPolicyMiddleware


@cache
def security_headers(secure: bool) -> tuple[tuple[bytes, bytes], ...]:
    """(name, value) pairs as an ASGI answer carries them (lower-case, bytes), as
    SecurityMiddleware, XFrameOptionsMiddleware, CSPMiddleware and
    PermissionsPolicyMiddleware would set them on a request that is `secure`. Built once
    for each: encoding them per answer was a tenth of the edge door's CPU per check-in."""
    permissions: dict[str, str | list[str] | tuple[str]] = dict(settings.PERMISSIONS_POLICY)
    headers = {
        "X-Content-Type-Options": "nosniff" if settings.SECURE_CONTENT_TYPE_NOSNIFF else "",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY or "",
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "",
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "Content-Security-Policy": build_policy(),
        "Permissions-Policy": PermissionsPolicyMiddleware.compute_header_value(permissions, name="PERMISSIONS_POLICY"),
        "Strict-Transport-Security": _hsts() if secure else "",
    }
    return tuple((name.lower().encode(), value.encode()) for name, value in headers.items() if value)


def _hsts() -> str:
    if not settings.SECURE_HSTS_SECONDS:
        return ""
    hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        hsts += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        hsts += "; preload"
    return hsts
