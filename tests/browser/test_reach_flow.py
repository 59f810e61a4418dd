"""Reach in the browser: a phone finds what is happening near it, nearest first."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from accounts.models import Profile

from .. import factories
from .conftest import phone_at, shot

TIMEOUT = 20_000


def _listed(title: str, lat: float, lon: float) -> None:
    organizer = factories.member(title.lower().replace(" ", ""))
    Profile.objects.filter(user=organizer).update(trusted=True)
    factories.action(organizer, title=title, lat=lat, lon=lon)


def test_near_me_lists_the_nearest_first(live_url, browser):
    _listed("Kazimierz sweep", 50.0510, 19.9450)
    _listed("Market Square pick", 50.0617, 19.9373)
    _listed("Warsaw tidy", 52.2297, 21.0122)
    context = phone_at(browser, 50.0619, 19.9369, accuracy=30)
    page = context.new_page()
    page.goto(live_url)
    page.get_by_role("link", name="Near me").click()
    page.get_by_test_id("near-search").click()
    cards = page.get_by_test_id("near-list").locator(".action-card")
    expect(cards).to_have_count(2, timeout=TIMEOUT)
    expect(cards.nth(0)).to_contain_text("Market Square pick")
    expect(cards.nth(1)).to_contain_text("km away")
    shot(page, "phone-near")
    page.select_option("select[name=radius]", "5")
    page.select_option("select[name=radius]", "100")
    expect(cards).to_have_count(2)
    context.close()


def test_add_to_calendar_and_share(live_url, browser):
    action = factories.action(factories.member("olga"), title="Bench wipe-down")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.goto(f"{live_url}/a/{action.slug}")
    with page.expect_download() as download:
        page.get_by_test_id("add-to-calendar").click()
    assert download.value.suggested_filename == f"{action.slug}.ics"
    assert "BEGIN:VEVENT" in Path(download.value.path()).read_text()
    # Headless Chromium has no share sheet: the link is copied instead.
    share = page.get_by_test_id("share")
    share.click()
    expect(share).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_url}/a/{action.slug}"
    shot(page, "phone-share-row")
    context.close()
