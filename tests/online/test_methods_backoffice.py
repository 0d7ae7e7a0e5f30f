"""The customer's saved payment methods on their back-office page (issue 14 polish): Finance
reads them (brand, last four, expiry, the default, a SEPA mandate's Stripe id and reference)
and can change none of them; in a browser at 1280 and 390 px with axe-core, the billing
contacts read once and the country by its name."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.accounts.billing import billing_profile_update
from paydesk.methods.services import saved_methods_list
from tests.axe import assert_accessible
from tests.factories import StaffFactory
from tests.online.stripe_support import save_card, save_sepa
from tests.signin import browser_sign_in, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _customer_with_methods(sandbox, online_customer):
    user = online_customer("card", "EUR", account="EUR")
    card = save_card(sandbox.url, user, exp_month="11", exp_year="2031")
    sepa = save_sepa(sandbox.url, user)
    return user, card, sepa


def test_finance_reads_the_saved_methods_with_the_mandate_id(sandbox, online_customer):
    user, card, sepa = _customer_with_methods(sandbox, online_customer)
    finance = sign_in(Client(), StaffFactory(staff_role="finance"))
    url = f"/backoffice/accounts/customer/{user.customer.pk}/change/"
    page = finance.get(url).content.decode()
    card_row = page.split(f'data-saved-method="{card}"', 1)[1].split("</tr>", 1)[0]
    assert all(text in card_row for text in ("Card", "Visa", "4242", "11/2031", "Yes"))
    sepa_row = page.split(f'data-saved-method="{sepa.payment_method}"', 1)[1].split("</tr>")[0]
    assert "SEPA Direct Debit" in sepa_row and "3000" in sepa_row and ">No<" in sepa_row
    assert sepa.mandate in sepa_row and sepa.mandate_reference in sepa_row
    # Read only: no form posts to the methods' portal pages from here.
    assert "/billing/methods/" not in page
    assert len(saved_methods_list(customer=user.customer)) == 2


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_the_customer_page_reads_well_at_desk_and_phone_sizes(sandbox, online_customer, page, size):
    user, _card, sepa = _customer_with_methods(sandbox, online_customer)
    admin = StaffFactory(staff_role="admin")
    billing_profile_update(
        customer=user.customer,
        actor=admin,
        legal_name="Nordlicht Telekom GmbH",
        country="DE",
        city="Berlin",
        contacts=["billing@nordlicht.example"],
    )
    finance = StaffFactory(staff_role="finance")
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    browser_sign_in(page, sandbox.url, finance)
    page.goto(f"{sandbox.url}/backoffice/accounts/customer/{user.customer.pk}/change/")
    assert page.get_by_text("billing@nordlicht.example", exact=True).count() >= 1
    shown = [
        item
        for item in page.get_by_text("billing@nordlicht.example", exact=True).all()
        if item.is_visible()
    ]
    assert len(shown) == 1, "each billing contact reads once"
    assert page.get_by_text("Germany", exact=True).is_visible()
    assert page.get_by_text(sepa.mandate, exact=True).is_visible()
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits), f"the customer page is wider than the {size} window"
    assert_accessible(page, f"the back office's customer page ({size})")
