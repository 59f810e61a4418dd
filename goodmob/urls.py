from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views import defaults
from django.views.i18n import JavaScriptCatalog

from common.errors import ServiceError
from common.responses import problem
from goodmob import app_icons
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


handler404 = not_found
handler400 = bad_request

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
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
