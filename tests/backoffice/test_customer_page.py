"""The customer's back-office page as Finance reads it (issue 14 polish): the billing country by
its name, the limits as money in the currency's decimals (and an Administrator's form in those
decimals too), no saved payment method section call to Stripe for a customer who never saved
one."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from paydesk.accounts.billing import billing_profile_update
from paydesk.accounts.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _page(client, customer: Customer) -> str:
    answer = client.get(f"/backoffice/accounts/customer/{customer.pk}/change/")
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.fixture
def nordlicht(admin_user) -> Customer:
    customer = CustomerFactory(
        name="Nordlicht Telekom GmbH",
        currency="EUR",
        debit_limit=Decimal("250"),
        minimum_payment=Decimal("50"),
    )
    billing_profile_update(
        customer=customer,
        actor=admin_user,
        legal_name="Nordlicht Telekom GmbH",
        country="DE",
        city="Berlin",
        contacts=["billing@nordlicht.example"],
    )
    return customer


def test_finance_reads_the_country_by_name_and_the_limits_as_money(finance, nordlicht):
    page = _page(finance, nordlicht)
    assert "Germany" in page
    assert ">DE<" not in page and "ISO 3166-1 alpha-2 code" not in page
    assert "€250.00 EUR" in page and "€50.00 EUR" in page
    assert "250.0000" not in page and "50.0000" not in page


def test_a_three_decimal_currency_keeps_its_decimals(finance):
    kuwait = CustomerFactory(currency="KWD", minimum_payment=Decimal("12.5"))
    page = _page(finance, kuwait)
    assert "12.500 KWD" in page and "12.5000" not in page


def test_an_administrators_form_shows_the_currencys_decimals(administrator, nordlicht):
    page = _page(administrator, nordlicht)
    assert 'name="debit_limit" value="250.00"' in page
    assert 'name="minimum_payment" value="50.00"' in page
    assert "Germany" in page  # the country list names countries


def test_an_administrators_form_keeps_a_limits_real_decimals(administrator):
    customer = CustomerFactory(currency="USD", minimum_payment=Decimal("10.125"))
    page = _page(administrator, customer)
    assert 'name="minimum_payment" value="10.125"' in page


def test_a_customer_without_a_stripe_customer_has_no_saved_method(finance, nordlicht):
    page = _page(finance, nordlicht)
    assert "Saved payment methods (at Stripe, read only)" in page
    assert "No saved payment method." in page


def test_finance_sees_no_blank_billing_profile_form(finance, administrator):
    """Without a billing profile, the empty form is an Administrator's to fill in: Finance, who
    cannot save, sees no blank fields."""
    customer = CustomerFactory()
    field = 'name="billing_profile-0-legal_name"'
    assert field not in _page(finance, customer)
    assert field in _page(administrator, customer)


def test_finance_reads_the_portal_flags_in_words(finance, support, nordlicht):
    """Staff who only read see each portal flag as what the customer gets ("Yes (the portal
    default)"), never the admin's "?" icon for a flag that follows the default, and the top-up
    currencies as a list, not JSON."""
    from paydesk.accounts.models import PortalDefaults

    PortalDefaults.objects.create(blocked_methods=["voucher"], allow_vouchers=False)
    nordlicht.show_payments = False
    nordlicht.topup_currencies = ["EUR", "USD"]
    nordlicht.save()
    for client in (finance, support):
        page = _page(client, nordlicht)
        assert "icon-unknown" not in page and "icon-yes" not in page and "icon-no" not in page
        assert "Yes (the portal default)" in page  # show balance
        assert ">No<" in page  # show payments, the customer's own
        assert "No (the portal default)" in page  # allow vouchers
        assert "Voucher (the portal default)" in page  # blocked methods
        assert "Follow default blocked methods" not in page
        assert "EUR, USD" in page and '["EUR"' not in page
    other = CustomerFactory(currency="USD", blocked_methods=[])
    page = _page(finance, other)
    assert "USD only (the account&#x27;s currency)" in page
    assert ">None<" in page  # nothing blocked, the customer's own choice


def test_finance_and_an_administrator_read_the_same_top_up_label(finance, administrator, nordlicht):
    assert 'for="id_topup_currencies">Top-up currencies:</label>' in _page(administrator, nordlicht)
    assert "Topup currencies" not in _page(administrator, nordlicht)
    assert "Top-up currencies" in _page(finance, nordlicht)


def test_every_section_of_the_customer_page_has_a_heading(finance, administrator, nordlicht):
    """Name and Currency sat in the one section without a heading."""
    for client in (finance, administrator):
        page = _page(client, nordlicht)
        sections = re.findall(
            r"<fieldset class=\"module aligned[^\"]*\"[^>]*>\s*(<h2[^>]*>[^<]*)", page
        )
        assert len(sections) == 4, sections
        assert any(">Name and currency" in heading for heading in sections), sections
    added = administrator.get("/backoffice/accounts/customer/add/").content.decode()
    assert ">Name and currency</h2>" in added
