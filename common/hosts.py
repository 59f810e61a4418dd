"""Django's host check (ALLOWED_HOSTS) for the doors that answer before Django: the edge
door's requests and the websocket admission."""

from __future__ import annotations

import functools

from django.http.request import split_domain_port, validate_host


# A crowd sends one Host header over and over: the check (a pattern match per allowed
# host) was 3% of a connect storm's CPU and 4% of the web's under check-ins.
@functools.lru_cache(maxsize=1024)
def served(raw_host: bytes, allowed: tuple[str, ...]) -> bool:
    """Whether a request's Host header names this site, as Django's `get_host` decides."""
    domain, _ = split_domain_port(raw_host.decode("latin-1"))
    return bool(domain) and validate_host(domain, list(allowed))
