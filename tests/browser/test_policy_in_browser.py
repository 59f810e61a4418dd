"""The pages work under their Content-Security-Policy, and the dashboard still works as
an OBS browser source and embedded in a streaming page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from .. import factories

TIMEOUT = 20_000


def test_pages_break_no_policy_and_the_overlay_embeds(live_url, browser):
    action = factories.move_clock(factories.action(factories.member("olga")), starts_in=timedelta(minutes=5))
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    for path, ready in [
        ("/", "body"),
        (f"/a/{action.slug}", "[data-countdown]"),
        (f"/a/{action.slug}/live?overlay=1", "[data-testid=dash-join-code]"),
        (f"/a/{action.slug}/results", "[data-map]"),
        ("/api/v1/docs", ".swagger-ui"),
    ]:
        page.goto(f"{live_url}{path}")
        expect(page.locator(ready).first).to_be_visible(timeout=TIMEOUT)
    # A streaming page from anywhere embeds the overlay (OBS loads it as a page of its own).
    page.set_content(f'<iframe id="overlay" src="{live_url}/a/{action.slug}/live?overlay=1" width="1280" height="720">')
    overlay = page.frame_locator("#overlay")
    expect(overlay.get_by_test_id("dash-join-code")).to_have_text(action.join_code, timeout=TIMEOUT)
    expect(overlay.get_by_test_id("dash-countdown")).not_to_have_text("--:--", timeout=TIMEOUT)
    assert refused == []
    context.close()
