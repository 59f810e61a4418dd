"""Where our workers may send a request to a URL that a user chose (a webhook endpoint, a
browser's push service), and sending it there safely.

Such a URL must never reach into our own network: private, loopback, link-local and other non-global addresses are
refused (the setting WEBHOOKS_ALLOW_PRIVATE lets local development and tests use them).
The name is resolved, checked and then connected to by that very address, so a DNS
answer that changes between the check and the request (rebinding) cannot slip through.
Redirects are never followed, and the whole exchange has one deadline.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from common.errors import Invalid

URL_MAX = 500
READ_MAX = 64 * 1024


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse(url: str, field: str = "url") -> Target:
    """The URL's parts, or Invalid (422) saying what is wrong with it."""
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid("invalid", "That is not a URL.", field=field) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise Invalid("invalid", "The URL must use https.", field=field)
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise Invalid("invalid", "Give a host, and no user name, password or #fragment.", field=field)
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or default, path)


def resolve(target: Target, field: str = "url") -> str:
    """An address of the host that we may send to (Invalid when there is none)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid("unresolvable", f"The host {target.host[:80]} does not resolve.", field=field) from None
    addresses = [str(info[4][0]) for info in infos]
    allowed = [a for a in addresses if settings.WEBHOOKS_ALLOW_PRIVATE or ipaddress.ip_address(a).is_global]
    if not allowed or len(allowed) < len(addresses):
        raise Invalid("refused_address", "That host is on a private or local network: refused.", field=field)
    return allowed[0]


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str = ""


def post(target: Target, address: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST to `address` (already checked) as `target.host`, within `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((address, target.port), timeout=timeout)
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(target.host, target.port, timeout=timeout)
        connection.sock = sock  # connected already, to the address we checked
        connection.request("POST", target.path, body=body, headers={**headers, "Connection": "close"})
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        response = connection.getresponse()
        read = 0
        while read < READ_MAX and time.monotonic() < deadline:
            chunk = response.read(4096)
            if not chunk:
                break
            read += len(chunk)
        connection.close()
        return Answer(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:200])
