"""axe-core on the pages anyone reaches first: the portal's and the back office's sign-in."""

from __future__ import annotations

import pytest

from tests.axe import assert_accessible, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_reports_a_violation_it_is_shown(live_server, page):
    """The check can fail: an image without a text alternative is a critical violation."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = '/static/none.png';"
        " document.body.appendChild(i); }"
    )
    assert "image-alt" in {v["id"] for v in violations(page)}


@pytest.mark.parametrize("path", ["/accounts/login/", "/backoffice/login/"])
def test_sign_in_pages_have_no_serious_violation(live_server, page, path):
    page.goto(f"{live_server.url}{path}")
    assert_accessible(page)
