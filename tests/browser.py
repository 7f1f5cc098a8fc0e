"""Headless Chromium (Debian's `chromium` package) driven by Playwright, for the tests that open
the project's pages: every request a page makes is recorded, and any that would leave the
machine is refused, so a page that needs the network shows it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def require_chromium() -> None:
    """Skip when chromium is missing, except in CI (KYLUAT_REQUIRE_CHROMIUM=1), where the
    browser tests must run: deploy/ci_chromium.sh installs it."""
    if CHROMIUM.exists():
        return
    message = (f"{CHROMIUM} is missing: install Debian's chromium package "
               "(bash deploy/ci_chromium.sh, or apt-get install chromium)")
    if os.environ.get("KYLUAT_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Visit:
    page: object  # playwright.sync_api.Page
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    console_errors: list[str] = field(default_factory=list)

    @property
    def network_requests(self) -> list[str]:
        """Requests that would leave the machine (anything but file:, data:, blob:)."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


@contextmanager
def open_page(path: Path, width: int = 1400, height: int = 900) -> Iterator[Visit]:
    """Open a local HTML file offline; network requests are recorded and aborted."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            visit = Visit(page)
            context.on("request", lambda request: visit.requests.append(request.url))
            page.on("console", lambda message: visit.console_errors.append(message.text)
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(LOCAL_SCHEMES) else route.abort())
            page.goto(path.resolve().as_uri(), wait_until="load")
            yield visit
        finally:
            browser.close()
