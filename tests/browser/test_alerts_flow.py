"""Alerts in the browser: the prompt comes after a pledge or a follow (never on first
load), "Not now" keeps it away, and the alerts page saves preferences and draws and
edits watch areas."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from alerts.models import AlertSettings
from social.models import WatchArea

from .. import factories
from .conftest import PHONE, shot

TIMEOUT = 20_000


def _log_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-test-password")
    page.get_by_role("button", name="Log in").click()


def test_the_prompt_comes_after_a_pledge_and_not_now_keeps_it_away(live_url, browser):
    action = factories.action(factories.member("olga"), title="Bench wipe-down")
    other = factories.action(factories.member("tess"), title="Second one")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_url}/a/{action.slug}")
    expect(page.get_by_test_id("pledge")).to_be_visible()
    expect(page.locator("#offer-alerts")).to_have_count(0)  # not on first load
    page.fill("#id_name", "Mia")
    page.get_by_test_id("pledge").click()
    prompt = page.locator("#offer-alerts")
    expect(prompt).to_be_visible(timeout=TIMEOUT)
    expect(prompt).to_contain_text("Want a heads-up?")
    shot(page, "phone-alerts-prompt")
    page.get_by_role("button", name="Not now").click()
    expect(prompt).to_be_hidden()
    page.reload()
    expect(page.locator("#offer-alerts")).to_have_count(0)  # once per moment
    page.goto(f"{live_url}/a/{other.slug}")
    page.get_by_test_id("pledge").click()
    expect(page.get_by_test_id("pledged-ok")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#offer-alerts")).to_be_hidden()  # asked to wait a week
    context.close()


def test_after_a_follow_turning_alerts_on_answers_clearly(live_url, browser):
    factories.member("star")
    factories.member("fan")
    context = browser.new_context(**PHONE, permissions=["notifications"])
    page = context.new_page()
    _log_in(page, live_url, "fan")
    page.goto(f"{live_url}/u/star")
    page.get_by_role("button", name=re.compile("^Follow")).click()
    prompt = page.locator("#offer-alerts")
    expect(prompt).to_contain_text("Hear when they launch?", timeout=TIMEOUT)
    page.get_by_role("button", name="Turn on alerts").click()
    # Headless Chromium has no push service to subscribe with here: whatever the
    # browser says, the person is told in words, never left waiting.
    expect(prompt.locator("[data-prompt-status]")).not_to_have_text("", timeout=TIMEOUT)
    context.close()


def test_the_alerts_page_saves_preferences_and_edits_watch_areas(live_url, browser):
    person = factories.member("finn")
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    _log_in(page, live_url, "finn")
    page.goto(f"{live_url}/account/")
    page.get_by_test_id("alerts-link").click()
    expect(page).to_have_url(re.compile("/account/alerts/$"))
    page.get_by_label("A nudge in the last minutes").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Alert settings saved")
    assert AlertSettings.objects.get(user=person).nudges is False
    page.fill("input[name=lat]", "50.0617")
    page.fill("input[name=lon]", "19.9373")
    page.fill("input[name=radius_km]", "8")
    page.get_by_role("button", name="Add watch area").click()
    expect(page.get_by_test_id("watch-areas").locator("li")).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("[data-watch-map] svg polygon")).to_have_count(19)  # 8 km: two rings of cells
    shot(page, "desktop-alerts-page")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("watch-areas")).to_have_count(0, timeout=TIMEOUT)
    assert not WatchArea.objects.exists()
    context.close()
