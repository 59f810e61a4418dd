"""What a stream shows: overlay widgets that follow the tally without hiding it, goals that
stretch past 100%, and an end card in place of the join invitation."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from accounts import services as accounts
from actions import services

from .. import factories
from .conftest import off_loop

TIMEOUT = 20_000
SCREEN = {"viewport": {"width": 1920, "height": 1080}}


def deed_by(action, name: str) -> None:
    person = accounts.create_guest(name)
    factories.deed_done(action, person, f"deed-{person.pk:06}")


def test_the_goal_overlay_bumps_and_stretches_past_the_goal(live_url, browser):
    action = factories.move_clock(factories.action(factories.member("olga"), goal=2), starts_in=timedelta(minutes=-1))
    screen = browser.new_context(**SCREEN)
    page = screen.new_page()
    page.goto(f"{live_url}/a/{action.slug}/overlay/goal?corner=tr&size=l")
    expect(page.get_by_test_id("overlay-percent")).to_have_text("0%")
    expect(page.locator("[data-connection]")).to_have_count(0)  # nothing but the widget on air

    off_loop(deed_by, action, "Ola")
    expect(page.get_by_test_id("overlay-number")).to_have_text("1", timeout=TIMEOUT)
    expect(page.get_by_test_id("overlay-number")).to_have_class("o-number bump")
    for name in ("Bao", "Chidi"):
        off_loop(deed_by, action, name)
    expect(page.get_by_test_id("overlay-percent")).to_have_text("150%", timeout=TIMEOUT)
    expect(page.locator("[data-milestone]")).to_have_text("150%!")
    stretch = page.locator("[data-stretch]").evaluate("el => el.style.width")
    assert stretch == "50%"
    screen.close()


def test_after_the_end_the_dashboard_thanks_instead_of_inviting(live_url, browser):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=-1))
    off_loop(deed_by, action, "Ola")
    screen = browser.new_context(**SCREEN)
    page = screen.new_page()
    page.goto(f"{live_url}/a/{action.slug}/live")
    expect(page.locator("[data-dash-join]")).to_be_visible()
    expect(page.get_by_test_id("dash-end")).to_be_hidden()
    off_loop(services.end_action, action, action.organizer)
    expect(page.get_by_test_id("dash-end")).to_contain_text("It's over. Thank you!", timeout=TIMEOUT)
    expect(page.get_by_test_id("dash-end")).to_contain_text("1 deed · 1 person on the spot")
    expect(page.locator("[data-dash-join]")).to_be_hidden()
    screen.close()
