"""Playwright driving Debian's Chromium. Nothing is downloaded: the browser is /usr/bin/chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI must have Debian's chromium at /usr/bin/chromium (scripts/ensure-chromium)."
            )
        pytest.skip("No /usr/bin/chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# The flow tests bypass the Content-Security-Policy only because Playwright's
# wait_for_function evaluates strings in the page, which the policy (rightly) forbids;
# test_content_security_policy.py runs the pages under the policy and fails on any violation.


@pytest.fixture
def page(chromium, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = chromium.new_context(
        viewport={"width": 1180, "height": 820}, color_scheme="dark", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_accessibility_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core on the page as it stands: the critical and serious findings, one line each.

    WCAG 2.0-2.2 A and AA rules only (the AA bar the project holds itself to)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
            }
        },
    )
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("critical", "serious"):
            targets = [str(node["target"]) for node in violation["nodes"][:5]]
            found.append(f"{violation['id']} ({len(violation['nodes'])}): {', '.join(targets)}")
    return found


def fresh_totp_code(secret: str) -> str:
    """The code for `secret` now. It stays valid while the browser types and submits it: the
    TOTP clock stands still mid-step for the whole test (tests/conftest.py)."""
    return str(pyotp.TOTP(secret).now())
