"""Browser tests: Debian's Chromium through Playwright, against uvicorn in a thread."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
import uvicorn
from playwright.sync_api import expect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in str(item.path):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)"))


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def off_loop(fn, *args, **kwargs):
    """Run a service call in a plain thread: Playwright keeps an event loop running in
    this one, and the channel layer's sync wrapper refuses to run beside it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_url(transactional_db, celery_worker) -> Iterator[str]:
    """The whole stack: ASGI app under uvicorn, a Celery worker, real Redis."""
    from goodmob.asgi import application

    port = _free_port()
    server = _Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="goodmob.server:LeanWebSockets",
            ws_per_message_deflate=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert server.ready.wait(timeout=30), "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Per test: Playwright's sync API keeps an event loop running in this thread while
    it is open, which would upset the async tests if it outlived its test. With that
    loop up, Django's async-safety check also fires on the test's own plain ORM calls."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser) -> Iterator[object]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def phone_at(browser, latitude: float, longitude: float, accuracy: float = 20):
    """A phone whose browser reports this place (and may be asked for it)."""
    where = {"latitude": latitude, "longitude": longitude, "accuracy": accuracy}
    return browser.new_context(**PHONE, geolocation=where, permissions=["geolocation"])


@pytest.fixture
def second_phone(browser) -> Iterator[object]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def shot(page, name: str) -> None:
    """With SHOTS=<folder> set, keep a screenshot for people to look at (never compared)."""
    folder = os.environ.get("SHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"))


def sign_in(context, live_url: str, username: str) -> None:
    """Log in through the form (the factories' password), as a person would."""
    page = context.new_page()
    page.goto(f"{live_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-test-password")
    page.locator("main form button").click()
    expect(page).not_to_have_url(f"{live_url}/login/")
    page.close()
