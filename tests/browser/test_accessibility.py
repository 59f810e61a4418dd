"""WCAG 2.1 AA on every page, checked with axe-core (axe-playwright-python) in Chromium:
no serious or critical violation, on a phone in light and dark, and on a 1080p screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Permission

from actions import presence, rules, services
from social.services import follow

from .. import factories
from .conftest import PHONE, sign_in

AXE = Axe()
RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
SCREEN = {"viewport": {"width": 1920, "height": 1080}}


def serious(page) -> list[str]:
    results = AXE.run(page, options=RULES).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def world(live_url):
    """An organizer with a live action (checked in, a deed done), an ended one and a
    scheduled one, a follower, and a moderator."""
    olga = factories.established("Olga")
    live = factories.move_clock(factories.action(olga, title="Fountain tidy"), starts_in=timedelta(minutes=-2))
    ended = factories.move_clock(factories.action(olga, title="Bench paint"), starts_in=timedelta(minutes=-40))
    soon = factories.action(olga, title="Leaf sweep")
    ola = factories.guest("Ola")
    factories.deed_done(live, ola, "axe-000001")
    follow(factories.member("bao"), olga)
    here = {"place_name": "Planty", "lat": 50.0614, "lon": 19.9366, "radius_m": 150, "starts_at": soon.starts_at}
    fork = services.fork_action(live, factories.member("kasia"), rules.fork_input(live, here))
    moderator = factories.member("mod")
    moderator.user_permissions.add(Permission.objects.get(codename="moderate"))
    return {
        "olga": olga,
        "live": live,
        "ended": ended,
        "soon": soon,
        "moderator": moderator,
        "movement": fork.movement_id,
    }


def pages_of(world) -> dict[str, list[str]]:
    live, ended, soon = world["live"], world["ended"], world["soon"]
    public = [
        "/",
        "/near/",
        "/login/",
        "/signup/",
        "/password-reset/",
        "/privacy/",
        "/no/such/page",
        f"/a/{live.slug}",
        f"/a/{ended.slug}",
        f"/a/{soon.slug}",
        f"/a/{live.slug}/results",
        f"/a/{ended.slug}/results",
        f"/u/{world['olga'].profile.handle}",
        f"/m/{world['movement']}",
    ]
    stream = [
        f"/a/{live.slug}/live",
        f"/a/{ended.slug}/live",
        f"/a/{live.slug}/live?presence={presence.screen_key(live)}",
    ]
    stream += [f"/m/{world['movement']}/live"]
    stream += [f"/a/{live.slug}/overlay/{widget}" for widget in ("goal", "counter", "qr", "ticker", "cascade")]
    organizer = [
        "/launch/",
        f"/a/{live.slug}/console",
        f"/a/{soon.slug}/console",
        "/account/",
        "/account/alerts/",
        f"/a/{live.slug}/fork",
    ]
    return {
        "public": public,
        "stream": stream,
        "organizer": organizer,
        "moderator": ["/moderation/", f"/a/{live.slug}/report"],
    }


def check(context, live_url: str, paths: list[str]) -> list[str]:
    found = []
    page = context.new_page()
    for path in paths:
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("networkidle")
        found += [f"{path}: {problem}" for problem in serious(page)]
    page.close()
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_on_a_phone(live_url, browser, world, scheme):
    found = []
    visitor = browser.new_context(**PHONE, color_scheme=scheme)
    found += check(visitor, live_url, pages_of(world)["public"])
    organizer = browser.new_context(**PHONE, color_scheme=scheme)
    sign_in(organizer, live_url, world["olga"].username)
    found += check(organizer, live_url, pages_of(world)["organizer"])
    moderator = browser.new_context(**PHONE, color_scheme=scheme)
    sign_in(moderator, live_url, world["moderator"].username)
    found += check(moderator, live_url, pages_of(world)["moderator"])
    assert not found, "\n".join(found)


def test_the_stream_pages_pass_axe_on_a_1080p_screen(live_url, browser, world):
    screen = browser.new_context(**SCREEN)
    found = check(screen, live_url, pages_of(world)["stream"])
    assert not found, "\n".join(found)
