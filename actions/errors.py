from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a machine-readable code, a human sentence and an HTTP status."""

    status = 400

    def __init__(self, code: str, detail: str, *, status: int | None = None, field: str | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, str]:
        return {"error": self.code, "detail": self.detail}


def first_error_sentence(errors: list[dict], skip: int = 0) -> str:
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


class RateLimited(ServiceError):
    status = 429
