"""The picture a shared link unfurls into: drawn once per version of the action, cached."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from actions import preview, services
from actions.models import Action

from . import factories

pytestmark = pytest.mark.django_db


def test_a_shared_link_unfurls_into_a_card_with_the_action(client, action, monkeypatch):
    drawn = []
    draw = preview.draw
    monkeypatch.setattr(preview, "draw", lambda *args: drawn.append(args) or draw(*args))
    page = client.get(action.get_absolute_url()).content.decode()
    image_url = f"http://testserver/a/{action.slug}/preview.png"
    assert f'<meta property="og:image" content="{image_url}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    first = client.get(f"/a/{action.slug}/preview.png")
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert "max-age=3600" in first["Cache-Control"]
    assert Image.open(io.BytesIO(first.content)).size == (1200, 630)
    assert client.get(f"/a/{action.slug}/preview.png").content == first.content
    assert len(drawn) == 1  # the second came from the cache
    # A new title is a new picture.
    Action.objects.filter(pk=action.pk).update(title="Łąka sprzątanie: zażółć gęślą jaźń " * 3)
    assert client.get(f"/a/{action.slug}/preview.png").content != first.content
    assert len(drawn) == 2


def test_hidden_and_unknown_actions_have_no_picture(client):
    hidden = factories.action()
    services.hide_action(hidden, "spam")
    assert client.get(f"/a/{hidden.slug}/preview.png").status_code == 410
    assert client.get("/a/no-such-action/preview.png").status_code == 404


def test_the_result_card_is_a_picture_of_the_tally(client, action):
    from io import BytesIO

    from PIL import Image

    answer = client.get(f"/a/{action.slug}/results.png")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert Image.open(BytesIO(answer.content)).size == (1200, 630)
    page = client.get(f"/a/{action.slug}/results").content.decode()
    assert f'content="http://testserver/a/{action.slug}/results.png"' in page
    assert 'data-testid="share-results"' in page
