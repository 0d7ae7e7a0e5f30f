"""axe-core on the Billing page, at desktop and phone sizes, with and without field errors."""

from __future__ import annotations

import pytest

from paydesk.accounts.billing import billing_profile_update
from tests.axe import assert_accessible
from tests.factories import PortalUserFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("size", SIZES)
def test_the_billing_page_has_no_serious_violation(live_server, page, size):
    user = PortalUserFactory(can_manage_billing=True)
    billing_profile_update(
        customer=user.customer,
        actor=user,
        legal_name="Acme Telecom GmbH",
        country="DE",
        tax_id="DE136695976",
        address_line1="Hauptstraße 1",
        city="Berlin",
        postal_code="10115",
        contacts=["billing@acme.example"],
    )
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    browser_sign_in(page, live_server.url, user, path="/accounts/login/")
    page.goto(f"{live_server.url}/billing/")
    assert page.get_by_role("heading", name="Billing profile", exact=True).is_visible()
    assert_accessible(page, f"the Billing page ({size})")
    # Each field of the form sits under its label and inside its card, at a phone's width too.
    outside = page.evaluate(
        """() => {
            const card = document.querySelector('[aria-labelledby=billing-edit-title]');
            const right = card.getBoundingClientRect().right;
            return [...card.querySelectorAll('input, select, textarea')]
                .filter(el => el.type !== 'hidden' && el.getBoundingClientRect().right > right)
                .map(el => el.name);
        }"""
    )
    assert outside == [], f"fields wider than their card ({size}): {outside}"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    # A wrong check digit: the field error is announced next to the field.
    page.get_by_label("Tax / VAT id").fill("DE136695978")
    page.get_by_role("button", name="Save billing profile").click()
    page.wait_for_load_state()
    assert page.get_by_text("check digits do not match").first.is_visible()
    assert page.get_by_label("Tax / VAT id").get_attribute("aria-invalid") == "true"
    assert_accessible(page, f"the Billing page with a field error ({size})")
