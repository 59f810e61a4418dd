"""Every error a browser can meet is a styled page of the site, never a bare or debug one."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_sites_404(client):
    answer = client.get("/no/such/page")
    assert answer.status_code == 404
    page = answer.content.decode()
    assert "Nothing lives at this address" in page and 'class="topbar"' in page


def test_with_debug_on_a_missing_page_is_still_the_sites_404(client, settings):
    settings.DEBUG = True
    answer = client.get("/no/such/page")
    assert answer.status_code == 404 and "Nothing lives at this address" in answer.content.decode()
    assert "URLconf" not in answer.content.decode()
    assert client.get("/api/v1/nothing").json()["error"] == "not_found"


def test_someone_elses_console_is_the_sites_403(client, action):
    from . import factories

    client.force_login(factories.member("mallory"))
    answer = client.get(f"/a/{action.slug}/console")
    assert answer.status_code == 403
    assert "This page is not open to you" in answer.content.decode()


def test_a_crash_is_the_sites_500(settings):
    from django.urls import path

    from goodmob import urls

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("Conf", (), {"urlpatterns": [path("boom", broken), *urls.urlpatterns]})
    answer = Client(raise_request_exception=False).get("/boom")
    assert answer.status_code == 500
    assert "Something broke on our side" in answer.content.decode()


def test_the_web_app_manifest_and_its_icons(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"] == "/"
    for icon in body["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        from io import BytesIO

        from PIL import Image

        assert Image.open(BytesIO(png.content)).size == tuple(int(n) for n in icon["sizes"].split("x"))
    assert client.get("/icons/77.png").status_code == 404
    assert 'rel="manifest"' in client.get("/").content.decode()
