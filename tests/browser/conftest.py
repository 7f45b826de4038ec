"""Playwright driving Debian's Chromium (never a downloaded browser), headless.

Skips locally when /usr/bin/chromium is missing; fails in CI, where .ci/run installs it.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a-long-pass-phrase-9"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need(os.path.exists(CHROMIUM), f"needs Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def new_page(browser: Any, *, width: int = 1280, height: int = 900) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def confirmation_path(email: str) -> str:
    """The confirmation link allauth mailed to ``email`` (the locmem outbox)."""
    for message in reversed(mail.outbox):
        if email in message.to:
            match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no confirmation mail to {email}")
