"""Browser helpers for the back office's pages: a Chromium at 1366×900 (the finance desk's
laptop), the demo's data, signing staff in through the real pages, screenshots on request
(PAYDESK_SCREENSHOTS=<dir>) and the check that a table's columns are on screen."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from paydesk.accounts.models import User
from paydesk.demo.seed import seed_demo
from tests.conftest import chromium_launched
from tests.signin import browser_sign_in

DESK = {"width": 1366, "height": 900}
SHOTS = os.environ.get("PAYDESK_SCREENSHOTS", "")
DEMO_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def chromium(monkeypatch):
    with chromium_launched(monkeypatch) as browser:
        yield browser


@pytest.fixture
def demo(db):
    """The demo's customers, a year of payments, methods, rates and staff logins."""
    return seed_demo(now=DEMO_NOW)


def staff_page(chromium, live_server, email: str):
    """A page at 1366×900 with the demo's staff member `email` signed in (password and code)."""
    from paydesk.demo.customers import DEMO_LOGINS

    password = next(login.password for login in DEMO_LOGINS if login.email == email)
    page = chromium.new_page(viewport=DESK)
    browser_sign_in(page, live_server.url, User.objects.get(email=email), password=password)
    page.base = live_server.url  # type: ignore[attr-defined]
    return page


def open_page(page, path: str, name: str = ""):
    response = page.goto(f"{page.base}{path}")
    assert response is not None and response.status == 200, (path, response and response.status)
    if SHOTS and name:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=False)
    return page


def hidden_columns(page, names: list[str]) -> list[str]:
    """The columns among `names` (header text, case-insensitive) whose header is not wholly
    inside the window, or inside a table box that scrolls sideways; [] when all show."""
    # Measured once the page's fonts are in: a fallback font, wider, made a table scroll
    # sideways for a moment on a loaded machine (every column then read as hidden).
    return page.evaluate(
        """async (names) => {
            await document.fonts.ready;
            const width = document.documentElement.clientWidth;
            const heads = [...document.querySelectorAll('#result_list thead th')];
            const box = document.querySelector('#changelist .results') || document.body;
            const boxRight = box.getBoundingClientRect().right;
            const scrolls = box.scrollWidth > box.clientWidth + 1
                || document.documentElement.scrollWidth > width + 1;
            return names.filter((name) => {
                // A sorted column's header also holds its sort priority: read its title.
                const title = (h) => (h.querySelector('.text') || h).innerText.trim();
                const th = heads.find((h) => title(h).toLowerCase() === name.toLowerCase());
                if (!th) return true;
                const r = th.getBoundingClientRect();
                return scrolls || r.width === 0 || r.right > Math.min(width, boxRight) + 1;
            });
        }""",
        names,
    )


def wrapped_cells(page, field: str) -> list[str]:
    """Texts of the column `field`'s cells that wrap onto a second line."""
    return page.evaluate(
        """(field) => [...document.querySelectorAll(`#result_list .field-${field}`)]
            .filter((cell) => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                return range.getClientRects().length > 1
                    && new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
            }).map((cell) => cell.innerText)""",
        field,
    )
