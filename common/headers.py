"""The security headers Django's middleware adds to every answer, for doors that answer
without Django (the edge door): one list, built from the same settings."""

from __future__ import annotations

from functools import cache

from csp.utils import build_policy
from django.conf import settings
from django_permissions_policy import PermissionsPolicyMiddleware


@cache
def _always() -> tuple[tuple[str, str], ...]:
    permissions: dict[str, str | list[str] | tuple[str]] = dict(settings.PERMISSIONS_POLICY)
    headers = {
        "X-Content-Type-Options": "nosniff" if settings.SECURE_CONTENT_TYPE_NOSNIFF else "",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY or "",
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "",
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "Content-Security-Policy": build_policy(),
        "Permissions-Policy": PermissionsPolicyMiddleware.compute_header_value(permissions, name="PERMISSIONS_POLICY"),
    }
    return tuple((name, value) for name, value in headers.items() if value)


def security_headers(secure: bool) -> list[tuple[str, str]]:
    """(name, value) pairs, as SecurityMiddleware, XFrameOptionsMiddleware, CSPMiddleware
    and PermissionsPolicyMiddleware would set them on a request that is `secure`."""
    headers = list(_always())
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    return headers
