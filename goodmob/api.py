"""HTTP API v1: the NinjaAPI, its JSON parser, its refusals, and each app's router.
Errors are {"error", "detail"} (common/errors.py builds the body)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from accounts.api import router as accounts_router
from actions.api import router as actions_router
from alerts.api import router as alerts_router
from common import inputs, responses
from common.errors import UNAUTHORIZED, ServiceError, database_unavailable, first_error_sentence
from moderation.api import router as moderation_router
from social.api import add_discovery
from social.api import router as social_router
from webhooks.api import router as webhooks_router

JSON_TYPES = ("application/json", "application/problem+json")
log = logging.getLogger(__name__)


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            body = request.body
        except RequestDataTooBig:
            raise ServiceError("too_large", "The request body is too large.", status=413) from None
        # JSON only: a form or text/plain body is what a foreign page can send without
        # asking (no CORS preflight), so refusing it closes cross-site writes for good.
        if body.strip() and request.content_type not in JSON_TYPES:
            raise ServiceError("unsupported_media_type", "Send the body as application/json.", status=415)
        return inputs.loads_body(body)


api = NinjaAPI(
    title="Good Mob API",
    version="1",
    description="Launch, join and follow time-boxed good deeds. Errors are "
    '`{"error": "<code>", "detail": "<sentence>"}` with a 4xx status.',
    urls_namespace="api-v1",
    parser=StrictJsonParser(),
)


def error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    return responses.problem(ServiceError(code, detail, status=status))


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return responses.problem(exc)


@api.exception_handler(DatabaseError)
def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    log.warning("API: the database did not answer", exc_info=True)
    return on_service_error(request, database_unavailable())


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(request, 422, "invalid", first_error_sentence(exc.errors, skip=1))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return on_service_error(request, UNAUTHORIZED)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja wraps whatever the body parser raised; answer with our own refusal.
    if isinstance(exc.__cause__, ServiceError):
        return on_service_error(request, exc.__cause__)
    code = "csrf_failed" if exc.status_code == 403 else "bad_request"
    return error(request, exc.status_code, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error(request, 413, "too_large", "The request body is too large.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", "Nothing lives at that address.")


api.add_router("", accounts_router)
api.add_router("", social_router)
add_discovery(actions_router)
api.add_router("", actions_router)
api.add_router("", moderation_router)
api.add_router("", webhooks_router)
api.add_router("", alerts_router)
