"""The sessions page as a customer reads it, at desktop and phone sizes: its card keeps a gap
under the header, the table's headings sit over their columns (not centred), nothing is wider
than the window, and axe-core finds no serious violation."""

from __future__ import annotations

import pytest

from tests.axe import assert_accessible
from tests.factories import PortalUserFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("size", SIZES)
def test_the_sessions_page_reads_as_a_table(live_server, page, size):
    user = PortalUserFactory()
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
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, f"the sessions page ({size})")
