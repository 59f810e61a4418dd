from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views import defaults, i18n
from django.views.i18n import JavaScriptCatalog

from accounts.services import remember_language
from common.errors import ServiceError
from common.responses import problem
from goodmob import app_icons, ops
from goodmob.api import api


def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return problem(ServiceError("not_found", "No API endpoint lives at that address.", status=404))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem(ServiceError("bad_request", "The request could not be read.", status=400))
    return defaults.bad_request(request, exception)


def choose_language(request: HttpRequest) -> HttpResponse:
    """The footer's switch: Django's own view, and the person's alerts follow the choice."""
    response = i18n.set_language(request)
    if request.method == "POST":
        remember_language(request.user, request.POST.get("language", ""))
    return response


handler404 = not_found
handler400 = bad_request

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("i18n/setlang/", choose_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("manifest.webmanifest", app_icons.manifest, name="manifest"),
    path("icons/<int:size>.png", app_icons.icon, name="icon"),
    path("icons/<int:size>-<str:kind>.png", app_icons.icon, name="icon_kind"),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("", include("social.urls")),
    path("", include("accounts.urls")),
    path("", include("actions.urls")),
    path("", include("moderation.urls")),
    path("", include("alerts.urls")),
]
