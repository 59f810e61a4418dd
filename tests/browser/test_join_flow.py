from __future__ import annotations

import re

from playwright.sync_api import expect

from actions import services
from social import services as social

from .. import factories
from .conftest import off_loop

TIMEOUT = 20_000


def test_join_by_code_and_others_see_the_count_rise(live_url, phone, second_phone):
    action = factories.action(factories.member("olga"), title="Bench wipe-down")
    watcher = second_phone.new_page()
    watcher.goto(f"{live_url}/a/{action.slug}")
    expect(watcher.get_by_test_id("pledged")).to_have_text("0")
    expect(watcher.get_by_test_id("countdown")).to_have_text(re.compile(r"^\d\d:\d\d$"), timeout=TIMEOUT)

    page = phone.new_page()
    page.goto(live_url)
    page.fill("#code", action.join_code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(re.compile(rf"/a/{action.slug}$"))
    page.fill("#id_name", "Mia")
    page.get_by_test_id("pledge").click()
    expect(page.get_by_test_id("pledged-ok")).to_be_visible()
    expect(page.get_by_test_id("pledged")).to_have_text("1", timeout=TIMEOUT)

    # The other phone never reloads: the snapshot arrives over its socket.
    expect(watcher.get_by_test_id("pledged")).to_have_text("1", timeout=TIMEOUT)
    expect(watcher.locator("[data-crowd]")).to_contain_text("Mia", timeout=TIMEOUT)


def test_follower_sees_a_launch_appear_and_a_cancel_lands(live_url, phone, second_phone):
    organizer = factories.member("star")
    fan = factories.member("fan")
    social.follow(fan, organizer)

    home = phone.new_page()
    home.goto(f"{live_url}/login/")
    home.fill("#id_username", "fan")
    home.fill("#id_password", "a-long-test-password")
    home.get_by_role("button", name="Log in").click()
    expect(home.locator("#feed-status")).to_have_class(re.compile("on"), timeout=TIMEOUT)

    action = factories.action(organizer, title="Pop-up park tidy")
    card = home.locator(f'#feed [data-slug="{action.slug}"]')
    expect(card).to_contain_text("Pop-up park tidy", timeout=TIMEOUT)

    viewer = second_phone.new_page()
    viewer.goto(f"{live_url}/a/{action.slug}")
    expect(viewer.locator("[data-countdown-label]")).to_have_text("Starts in")
    off_loop(services.cancel_action, action, organizer)
    expect(viewer.locator("[data-countdown-label]")).to_have_text("Cancelled", timeout=TIMEOUT)
