from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext


class ServiceError(Exception):
    """A refusal with a machine-readable code, a human sentence and an HTTP status."""

    status = 400

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        field: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(detail)
        self.code = code
        self._detail = detail
        self.field = field
        self.retry_after = retry_after  # seconds, sent as Retry-After (429, 503)
        if status is not None:
            self.status = status

    @property
    def detail(self) -> str:
        """The sentence in the language of the request being answered: the English one is
        the catalogue's key (marked with gettext_noop where it is raised)."""
        return gettext(self._detail)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def as_dict(self) -> dict[str, str]:
        return {"error": self.code, "detail": self.detail}


def first_error_sentence(errors: Sequence[Mapping[str, Any]], skip: int = 0) -> str:
    """The first validation error as one sentence: "lat: Input should be a number."

    `skip` drops leading location parts (django-ninja prefixes them with "body")."""
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", [])[skip:]) or "request"
    return f"{where}: {first.get('msg', 'invalid value')}."


class Invalid(ServiceError):
    status = 422


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Gone(ServiceError):
    status = 410


class RateLimited(ServiceError):
    status = 429


class Unavailable(ServiceError):
    status = 503


class Unauthorized(ServiceError):
    status = 401


# Every door says the same when it does not know who is calling.
UNAUTHORIZED = Unauthorized("unauthorized", "Sign in, join as a guest, or send a bearer token.")


def database_unavailable() -> Unavailable:
    return Unavailable("unavailable", "The database is not answering; try again in a few seconds.", retry_after=5)
