"""A participant's phone, as people use it: a code typed as read off a stream, one button
at the bottom of the screen from "I'm in" to "See results", GO, no signal, and the code
on a screen at the spot."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as accounts
from actions import presence, services
from actions.models import Action, CheckIn

from .. import factories
from .conftest import PHONE, off_loop, phone_at

TIMEOUT = 20_000
SPOT = (50.0617, 19.9373)
# Map tiles configured, as deployed, from a server that is not there (the discard port).
NO_TILE_SERVER = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def crowd_of(action: Action, size: int) -> None:
    for n in range(size):
        services.pledge(action, accounts.create_guest(f"Neighbour {n + 1}"))


def join(page, name: str) -> None:
    page.fill("#id_name", name)
    page.get_by_test_id("pledge").click()
    expect(page.get_by_test_id("pledged-ok")).to_be_visible()


def test_a_join_code_typed_as_shown_on_stream(live_url, phone):
    action = factories.action(factories.member("olga"))
    page = phone.new_page()
    page.goto(live_url)
    expect(page.locator("#code")).to_be_focused()
    page.fill("#code", f" {action.join_code[:3].lower()} - {action.join_code[3:]} ")
    page.locator("#code").press("Enter")
    expect(page).to_have_url(f"{live_url}/a/{action.slug}")

    page.goto(live_url)
    page.fill("#code", "zzz zz9")
    page.locator("#code").press("Enter")
    expect(page.locator(".flash")).to_contain_text("No action has the code “zzz zz9”")
    expect(page.locator("#code")).to_have_value("zzz zz9")


def countdown_clear_of_the_dock(page) -> bool:
    """The countdown is the moment everyone shares: the sticky dock must not cover it."""
    clock = page.get_by_test_id("countdown").bounding_box()
    dock = page.locator("[data-cta]").bounding_box()
    return clock["y"] + clock["height"] <= dock["y"]


def test_one_button_at_the_bottom_carries_the_participant_through(live_url, browser, settings):
    settings.MAP_TILE_URL = NO_TILE_SERVER  # the page as deployed: with its map
    action = factories.action(
        factories.member("olga"),
        title="Litter pick on the Main Market Square",  # two lines on a phone, as most titles
        deed="Pick up one piece of litter and put it in a bin.",
        goal=4,
    )
    factories.move_clock(action, starts_in=timedelta(seconds=6))
    crowd_of(action, 8)  # enough chips to push the page's end below the fold
    context = phone_at(browser, *SPOT)
    page = context.new_page()
    page.goto(f"{live_url}/a/{action.slug}")
    expect(page.get_by_test_id("pledge")).to_be_in_viewport()
    join(page, "Ola")

    ready = page.get_by_test_id("ready")
    expect(ready).to_be_in_viewport()
    expect(ready).to_contain_text("GO in")  # location allowed already: the countdown rides on it

    go = page.get_by_test_id("go-moment")
    expect(go).to_be_visible(timeout=TIMEOUT)
    go.click()
    here = page.get_by_test_id("here")
    expect(here).to_be_in_viewport()
    here.click()
    expect(page.get_by_test_id("status")).to_have_text("You're checked in. Go do the deed!", timeout=TIMEOUT)
    assert countdown_clear_of_the_dock(page)

    done = page.get_by_test_id("done")
    expect(done).to_be_in_viewport()
    done.click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    results = page.get_by_test_id("see-results")
    expect(results).to_be_in_viewport()

    off_loop(services.end_action, action, action.organizer)
    expect(page.get_by_test_id("end-card")).to_contain_text(
        "1 deed done by 1 person on the spot. Yours is one of them.", timeout=TIMEOUT
    )
    expect(page.get_by_test_id("pledge")).to_be_hidden()
    results.click()
    expect(page).to_have_url(f"{live_url}/a/{action.slug}/results")
    context.close()


def test_a_cancelled_action_says_so_and_offers_what_is_next(live_url, phone):
    action = factories.action(factories.member("olga"))
    page = phone.new_page()
    page.goto(f"{live_url}/a/{action.slug}")
    join(page, "Ola")
    off_loop(services.cancel_action, action, action.organizer)
    expect(page.get_by_test_id("end-card")).to_contain_text("This action was cancelled", timeout=TIMEOUT)
    expect(page.get_by_test_id("whats-next")).to_be_in_viewport()
    expect(page.locator("[data-share]")).to_be_hidden()


def test_a_check_in_tapped_offline_is_sent_once_when_the_signal_returns(live_url, browser):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=-2))
    context = phone_at(browser, *SPOT)
    page = context.new_page()
    page.goto(f"{live_url}/a/{action.slug}")
    join(page, "Ola")
    expect(page.locator("[data-connection]")).to_have_text("Connected", timeout=TIMEOUT)

    context.set_offline(True)
    expect(page.locator("[data-connection]")).to_have_text("Offline: no signal", timeout=TIMEOUT)
    page.get_by_test_id("here").click()
    expect(page.get_by_test_id("status")).to_contain_text("saved on this phone")
    assert not CheckIn.objects.exists()

    # The signal returns only after the end: the fix was inside the window, so it counts.
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('goodmob:outbox:{action.slug}'))")
    fixed_at = datetime.fromisoformat(kept["fixed_at"])
    Action.objects.filter(pk=action.pk).update(
        starts_at=fixed_at - timedelta(minutes=10), ends_at=min(fixed_at + timedelta(milliseconds=1), timezone.now())
    )
    context.set_offline(False)
    expect(page.get_by_test_id("status")).to_contain_text("Sent once you had signal", timeout=TIMEOUT)
    row = CheckIn.objects.get()
    assert row.synced_late and row.status == "verified" and row.idempotency_key == kept["idempotency_key"]
    assert page.evaluate(f"localStorage.getItem('goodmob:outbox:{action.slug}')") is None
    page.reload()
    expect(page.get_by_test_id("done")).to_be_visible()
    assert CheckIn.objects.count() == 1
    context.close()


def test_the_code_on_the_screen_at_the_spot_checks_in_without_gps(live_url, browser):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=-2))
    screen = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = screen.new_page()
    board.goto(f"{live_url}/a/{action.slug}/live?presence={presence.screen_key(action)}")
    shown = board.get_by_test_id("dash-presence-code")
    expect(shown).to_have_text(re.compile(r"^\d{3} \d{3}$"), timeout=TIMEOUT)
    expect(board.locator("[data-presence-qr]")).to_have_attribute("src", re.compile(r"presence\.svg"))

    phone = browser.new_context(**PHONE)  # no location for this site
    page = phone.new_page()
    page.goto(f"{live_url}/a/{action.slug}")
    join(page, "Ola")
    page.get_by_text("A code on a screen at the spot?").click()
    page.get_by_test_id("presence-code").fill(shown.inner_text())
    page.get_by_test_id("here").click()
    expect(page.get_by_test_id("status")).to_have_text("You're checked in. Go do the deed!", timeout=TIMEOUT)
    assert CheckIn.objects.get().method == "code"
    screen.close()
    phone.close()


def test_the_qr_beside_the_code_fills_it_in(live_url, phone):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=-2))
    code = presence.shown(action, timezone.now()).code
    page = phone.new_page()
    page.goto(f"{live_url}{presence.check_in_path(action, code)}")
    join(page, "Ola")  # a reload on the way
    expect(page.get_by_test_id("presence-code")).to_have_value(code)
    expect(page.get_by_test_id("presence-code")).to_be_visible()


def test_with_map_tiles_configured_the_page_draws_the_zone_and_keeps_working(live_url, phone, settings):
    # A tile server that is not there: the map still draws the zone, and nothing after it
    # on the page breaks (a Leaflet error once stopped the script before the dock).
    settings.MAP_TILE_URL = NO_TILE_SERVER
    action = factories.action(factories.member("olga"))
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_url}/a/{action.slug}")
    expect(page.locator("[data-place-view] path.leaflet-interactive")).to_be_visible()  # the zone
    expect(page.get_by_test_id("pledge")).to_be_in_viewport()
    assert errors == []
