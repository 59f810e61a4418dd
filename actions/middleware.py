"""Refuse requests whose path, query string or form fields hold text no database column
can store (NUL, lone surrogates), before a view passes it to a query. JSON bodies are
checked by the API's parser (inputs.loads)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from .inputs import UNSTORABLE_DETAIL, storable

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _unstorable(request: HttpRequest) -> bool:
    if not storable(request.path_info):
        return True
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            sources.append(request.POST)
        except (RequestDataTooBig, TooManyFieldsSent):
            return False  # the view's own read raises again and is answered there
    return any(not storable(text) for source in sources for key, values in source.lists() for text in (key, *values))


def refusal(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": "invalid_text", "detail": UNSTORABLE_DETAIL}, status=400)
    return HttpResponseBadRequest(f"<!doctype html><title>Bad request</title><p>{UNSTORABLE_DETAIL}</p>")


class RejectUnstorableText:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        return refusal(request) if _unstorable(request) else self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if _unstorable(request):
            return refusal(request)
        return await self.get_response(request)
