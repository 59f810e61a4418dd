"""Refuse requests whose path, query string or form fields hold text no database column
can store (NUL, lone surrogates), before a view passes it to a query. JSON bodies are
checked by the API's parser (inputs.loads)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.http.multipartparser import MultiPartParserError
from django.template import loader

from . import ratelimit
from .errors import RateLimited, ServiceError
from .inputs import UNSTORABLE_DETAIL, storable
from .responses import problem, too_many

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _unstorable(request: HttpRequest) -> bool:
    if not storable(request.path_info):
        return True
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            sources.append(request.POST)
        except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
            return False  # the view's own read raises again and is answered there
    return any(not storable(text) for source in sources for key, values in source.lists() for text in (key, *values))


def refusal(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return problem(ServiceError("invalid_text", UNSTORABLE_DETAIL, status=400))
    return HttpResponseBadRequest(f"<!doctype html><title>Bad request</title><p>{UNSTORABLE_DETAIL}</p>")


class Gate:
    """Work around the view, in sync and async stacks alike. `before` may answer instead
    of the view (a response) or let it run (None); `after` may change its response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def before(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        return self.before(request) or self.after(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return self.before(request) or self.after(request, await self.get_response(request))


class RejectUnstorableText(Gate):
    def before(self, request: HttpRequest) -> HttpResponse | None:
        return refusal(request) if _unstorable(request) else None


class RateLimitReads(Gate):
    """Public GETs per address (pages and API alike; static files are served before this)."""

    def before(self, request: HttpRequest) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD"):
            return None
        try:
            ratelimit.check("read", ratelimit.client_ip(request))
        except RateLimited as exc:
            return problem(exc) if request.path_info.startswith("/api/") else too_many(request, exc)
        return None


class ApiMethods(Gate):
    """The API answers HEAD wherever it answers GET (headers only), and a wrong method
    with a JSON 405 that names the right ones, like every other refusal."""

    def before(self, request: HttpRequest) -> HttpResponse | None:
        request.api_head = request.method == "HEAD" and request.path_info.startswith("/api/")  # type: ignore[attr-defined]
        if request.api_head:  # type: ignore[attr-defined]
            request.method = "GET"
        return None

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code == 405 and request.path_info.startswith("/api/"):
            allowed = response.get("Allow", "")
            wrong = problem(
                ServiceError("method_not_allowed", f"This address takes {allowed or 'other methods'}.", status=405)
            )
            wrong["Allow"] = allowed
            return wrong
        if getattr(request, "api_head", False) and not response.streaming:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response


class StyledNotFound(Gate):
    """With DEBUG on (`make run`), Django answers a missing page with its technical 404,
    which people trying the site took for a crash: they get the site's own page instead."""

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        technical = (
            settings.DEBUG
            and response.status_code == 404
            and not request.path_info.startswith("/api/")
            and not response.streaming
            and b"NONE,NOARCHIVE" in response.content
        )
        return HttpResponseNotFound(loader.render_to_string("404.html", request=request)) if technical else response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        # Rendering the page reads the session (the top bar's user): off the event loop.
        return await sync_to_async(self.after)(request, await self.get_response(request))
