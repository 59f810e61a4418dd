"""The network in the browser: a phone sees its own branch grow while a 1920x1080
dashboard draws the cascade, a raid moves a second phone on to the next action, and a
third does the deed near them."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from accounts.selectors import handle_of
from actions import services
from actions.models import Action, Pledge

from .. import factories
from .conftest import off_loop, phone_at, shot

TIMEOUT = 20_000
STREAM = {"viewport": {"width": 1920, "height": 1080}}


def _join(page, url: str, name: str) -> None:
    page.goto(url)
    page.fill("#id_name", name)
    page.get_by_test_id("pledge").click()
    expect(page.get_by_test_id("pledged-ok")).to_be_visible(timeout=TIMEOUT)


def test_a_branch_grows_the_cascade_is_drawn_and_a_raid_moves_a_phone(live_url, browser, phone, second_phone):
    organizer = factories.member("olga")
    live = factories.move_clock(factories.action(organizer, title="Bench wipe-down"), starts_in=-timedelta(minutes=1))
    upcoming = factories.action(factories.member("nina"), title="Stairwell sweep")

    stream = browser.new_context(**STREAM)
    dashboard = stream.new_page()
    dashboard.goto(f"{live_url}/a/{live.slug}/live")
    words = dashboard.locator("[data-cascade-words]")
    expect(words).to_contain_text("Share links bring people in", timeout=TIMEOUT)

    mia = phone.new_page()
    _join(mia, f"{live_url}/a/{live.slug}", "Mia")
    expect(mia.get_by_test_id("branch")).to_be_hidden()
    mia_user = Pledge.objects.get(action=live).user
    ben, cy = factories.guest("Ben"), factories.guest("Cy")
    off_loop(services.pledge, live, ben, ref_handle=handle_of(mia_user))
    off_loop(services.pledge, live, cy, ref_handle=handle_of(ben))

    # Mia's phone never reloads: her own node arrives on /ws/me/.
    expect(mia.get_by_test_id("branch")).to_have_text("You brought 1, they brought 1", timeout=TIMEOUT)
    expect(words).to_have_text("1 came directly · 1 through a friend · 1 through a friend's friend", timeout=TIMEOUT)
    shot(dashboard, "dashboard-cascade")
    shot(mia, "phone-branch")
    box = dashboard.locator("[data-cascade]").bounding_box()
    assert box and box["width"] >= 300 and box["height"] >= 320, box

    kai = second_phone.new_page()
    _join(kai, f"{live_url}/a/{live.slug}", "Kai")
    off_loop(services.raid, live, organizer, upcoming.slug)
    expect(kai.get_by_test_id("raid")).to_contain_text("Stairwell sweep", timeout=TIMEOUT)
    expect(dashboard.get_by_test_id("dash-raid")).to_contain_text(upcoming.join_code, timeout=TIMEOUT)
    shot(kai, "phone-raid")
    shot(dashboard, "dashboard-raid")
    kai.get_by_test_id("raid-go").click()
    expect(kai).to_have_url(re.compile(rf"/a/{upcoming.slug}$"), timeout=TIMEOUT)
    expect(kai.get_by_test_id("pledged-ok")).to_be_visible(timeout=TIMEOUT)
    assert Pledge.objects.get(action=upcoming).via_raid.source_id == live.pk
    stream.close()


def test_do_this_near_me_starts_a_local_action_in_the_movement(live_url, browser):
    original = factories.action(factories.member("olga"), title="Litter pick")
    context = phone_at(browser, 52.4064, 16.9252)
    page = context.new_page()
    page.goto(f"{live_url}/a/{original.slug}")
    page.get_by_test_id("fork").click()
    expect(page.get_by_test_id("fork-deed")).to_contain_text(original.deed)
    shot(page, "phone-fork")
    # The place comes from the phone; the rest from the original.
    expect(page.locator("#id_lat")).to_have_value("52.406400", timeout=TIMEOUT)
    expect(page.locator("#id_title")).to_have_value("Litter pick")
    page.fill("#id_name", "Ola")
    page.fill("#id_place_name", "Stary Rynek")
    page.get_by_role("button", name="Start it here").click()
    fork = Action.objects.get(forked_from=original)
    expect(page).to_have_url(re.compile(rf"/a/{fork.slug}$"), timeout=TIMEOUT)
    assert (fork.deed, round(fork.lat, 4), fork.organizer.profile.display_name) == (original.deed, 52.4064, "Ola")

    page.get_by_test_id("movement-link").click()
    expect(page.get_by_test_id("movement-deeds")).to_have_text("0")
    expect(page.locator("[data-places]")).to_have_text("2")
    expect(page.locator("[data-places-map] circle")).to_have_count(2)
    shot(page, "phone-movement")
    context.close()
