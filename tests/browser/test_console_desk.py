"""The console on a desktop screen: the people and their stages live, messages with the
time they went out."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from actions import services

from .. import factories
from .conftest import off_loop, sign_in

TIMEOUT = 20_000


def test_the_console_lists_people_as_they_move(live_url, browser):
    olga = factories.member("olga")
    action = factories.move_clock(factories.action(olga), starts_in=timedelta(minutes=-2))
    desk = browser.new_context(viewport={"width": 1920, "height": 1080})
    sign_in(desk, live_url, olga.username)
    page = desk.new_page()
    page.goto(f"{live_url}/a/{action.slug}/console")
    people = page.get_by_test_id("participants")
    expect(people).to_contain_text("Nobody yet.")

    ola = factories.guest("Ola")
    off_loop(services.check_in, action, ola, services.CheckInInput("desk-00001", **factories.SPOT))
    off_loop(services.verify_pending, action.pk)
    expect(people.locator("tr", has_text="Ola")).to_contain_text("here", timeout=TIMEOUT)
    expect(people.locator("tr", has_text="Ola")).to_contain_text("by GPS")

    page.fill("#message-text", "Gloves at the blue tent")
    page.get_by_role("button", name="Send to every phone and the dashboard").click()
    expect(page.get_by_test_id("sent")).to_contain_text("Gloves at the blue tent")
    expect(page.get_by_test_id("sent").locator("time").first).to_have_text(re.compile(r"\d.*sent ✓"))
    # The wide screen is used: the people and the controls sit side by side.
    left = page.locator(".console-main").bounding_box()
    right = page.locator(".console-side").bounding_box()
    assert right["x"] > left["x"] + left["width"] - 1
    desk.close()
