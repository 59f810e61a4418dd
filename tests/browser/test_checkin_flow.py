from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from actions import services

from .. import factories
from .conftest import PHONE, off_loop

TIMEOUT = 20_000
SPOT = {"latitude": 50.0617, "longitude": 19.9373}


def live_action():
    action = factories.action(factories.member("olga"), title="Fountain tidy", radius_m=150, goal=4)
    return factories.move_clock(action, starts_in=timedelta(seconds=-5))


def phone_at(browser, latitude: float, longitude: float, accuracy: float = 12):
    return browser.new_context(
        **PHONE,
        geolocation={"latitude": latitude, "longitude": longitude, "accuracy": accuracy},
        permissions=["geolocation"],
    )


def join(page, live_url: str, slug: str, name: str) -> None:
    page.goto(f"{live_url}/a/{slug}")
    page.fill("#id_name", name)
    page.get_by_test_id("pledge").click()
    expect(page.get_by_test_id("pledged-ok")).to_be_visible()


def test_check_in_on_the_spot_and_the_dashboard_climbs(live_url, browser):
    action = live_action()
    screen = browser.new_context(viewport={"width": 1920, "height": 1080})
    dashboard = screen.new_page()
    dashboard.goto(f"{live_url}/a/{action.slug}/live")
    expect(dashboard.get_by_test_id("dash-checked-in")).to_have_text("0")
    expect(dashboard.get_by_test_id("dash-join-code")).to_have_text(action.join_code)

    phone = phone_at(browser, SPOT["latitude"] + 0.0005, SPOT["longitude"])  # about 55 m away
    page = phone.new_page()
    join(page, live_url, action.slug, "Ola")
    page.get_by_test_id("here").click()
    expect(page.get_by_test_id("status")).to_have_text("You're checked in. Go do the deed!", timeout=TIMEOUT)
    expect(dashboard.get_by_test_id("dash-checked-in")).to_have_text("1", timeout=TIMEOUT)

    page.get_by_test_id("done").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    expect(dashboard.get_by_test_id("dash-deeds")).to_have_text("1", timeout=TIMEOUT)
    expect(dashboard.locator("[data-ticker]")).to_contain_text("Ola", timeout=TIMEOUT)

    off_loop(services.announce, action, action.organizer, "Bins are by the fountain")
    expect(page.locator("[data-message]")).to_contain_text("Bins are by the fountain", timeout=TIMEOUT)
    expect(dashboard.get_by_test_id("dash-message")).to_contain_text("Bins are by the fountain", timeout=TIMEOUT)
    screen.close()
    phone.close()


def test_phone_outside_the_radius_is_told_it_is_too_far(live_url, browser):
    action = live_action()
    phone = phone_at(browser, SPOT["latitude"] + 0.01, SPOT["longitude"])  # about 1.1 km north
    page = phone.new_page()
    join(page, live_url, action.slug, "Far")
    page.get_by_test_id("here").click()
    expect(page.get_by_test_id("status")).to_contain_text("from the spot. Get within 150 m", timeout=TIMEOUT)
    expect(page.get_by_test_id("here")).to_have_text("Try again")
    expect(page.get_by_test_id("done")).to_be_hidden()
    phone.close()
