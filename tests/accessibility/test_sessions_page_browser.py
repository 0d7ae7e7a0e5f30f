"""The sessions page as a customer reads it, at desktop and phone sizes: its card keeps a gap
under the header, the table's headings sit over their columns (not centred), each device reads in
words ("Firefox 133 on Windows") and opens on its raw User-Agent string, on a phone every cell
keeps a margin inside the table's border, nothing is wider than the window, and axe-core finds no
serious violation."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.axe import assert_accessible
from tests.factories import PASSWORD, PortalUserFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
# Each cell's distance to the table's border, left and right (the smallest of all cells).
CELL_INSETS = """() => {
    const box = document.querySelector('.table-scroll').getBoundingClientRect();
    const cells = [...document.querySelectorAll('table.stack-table tbody td')];
    return {
        left: Math.min(...cells.map(td => td.getBoundingClientRect().left - box.left)),
        right: Math.min(...cells.map(td => box.right - td.getBoundingClientRect().right)),
    };
}"""


def signed_in_elsewhere(user, agent: str) -> None:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})


@pytest.mark.parametrize("size", SIZES)
def test_the_sessions_page_reads_as_a_table(live_server, page, size):
    user = PortalUserFactory()
    signed_in_elsewhere(user, SAFARI_IPHONE)
    signed_in_elsewhere(user, FIREFOX_WINDOWS)
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    browser_sign_in(page, live_server.url, user, path="/accounts/login/")
    page.goto(f"{live_server.url}/accounts/sessions/")
    gap = page.evaluate(
        """() => document.querySelector('main .card').getBoundingClientRect().top
                 - document.querySelector('header').getBoundingClientRect().bottom"""
    )
    assert gap >= 16, f"the card touches the header ({size}): {gap}px"
    if size == "desktop":
        aligns = page.locator("table.stack-table thead th").evaluate_all(
            "els => els.map(el => getComputedStyle(el).textAlign)"
        )
        assert set(aligns) <= {"left", "start"}, aligns
    else:
        insets = page.evaluate(CELL_INSETS)
        assert insets["left"] >= 8 and insets["right"] >= 8, f"cells touch the border: {insets}"
    summaries = page.locator("details.device summary")
    assert summaries.all_inner_texts()[1:] == ["Firefox 133 on Windows", "Safari on iPhone"]
    raw = page.locator("details.device .user-agent").nth(1)
    assert not raw.is_visible()
    summaries.nth(1).click()
    assert raw.is_visible() and raw.inner_text() == FIREFOX_WINDOWS
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, f"the sessions page ({size})")
