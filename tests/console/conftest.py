"""The web console in a real browser: Playwright drives Debian's Chromium (installed by
`make console-browser`) over the local stack, which serves the console (console/) as the
callback's front-end origin."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from local_stack.stack import LocalStack
from tests.flows import ops, qbo_admin, register

CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
# Screenshots of each screen, kept as test artefacts (docs/console/ holds the README's).
SHOTS = Path(__file__).resolve().parents[2] / "build" / "console-screenshots"
ORG, LE, OTHER_LE = "org-acme", "le-acme-us", "le-acme-ca"
REALM, QBO_USER = "9341450000000777", "craig-console"
# As the machine's probe starts Chromium: no sandbox as root, no background networking
# (this machine's closed network refuses it), no GPU.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(sandbox=True, poll_queues=True, console=True,
                    env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING"}) as running:
        register(running, ORG, LE, name="Acme US Inc.")
        register(running, ORG, OTHER_LE, name="Acme Canada Ltd.")
        # Enough vendors for an import of two rounds (pages of 1000): the page sees it mid-way.
        qbo_admin(running, QBO_USER, REALM, "Craig's Design and Landscaping Services",
                  sizes={"Vendor": 2500})
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: run `make console-browser` (Debian's chromium package)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(browser: Browser, stack: LocalStack, *, user: str = "alice",
            name: str = "Alice Admin", role: str = "SystemAdministrator",
            unit: str = "root") -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{stack.console_url}/signin.html")
    page.get_by_label("User id").fill(user)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Organization id").fill(ORG)
    page.get_by_label("Role").select_option(role)
    page.get_by_label("Home org unit").fill(unit)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="ERP Management").wait_for()
    return page


def support_profile(stack: LocalStack, **profile: Any) -> None:
    answer = ops(stack, "ops-put-sync-profile.json", org_id=ORG, legal_entity_id=LE,
                 **({"profile": profile} if profile else {}))
    assert answer["ok"], answer
