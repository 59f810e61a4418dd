"""The two shapes a refusal takes outside the API's own handlers: the JSON problem body
(with its headers, such as Retry-After) and the page a browser sees for a 429."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .errors import RateLimited, ServiceError


def problem(refusal: ServiceError) -> JsonResponse:
    response = JsonResponse(refusal.as_dict(), status=refusal.status)
    for name, value in refusal.headers().items():
        response[name] = value
    return response


def too_many(request: HttpRequest, refusal: RateLimited) -> HttpResponse:
    response = render(request, "429.html", {"detail": refusal.detail}, status=429)
    for name, value in refusal.headers().items():
        response[name] = value
    return response
