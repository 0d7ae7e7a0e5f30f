"""Customers: Administrators create and edit them through the services; the balance and the
currency are never edited here; everyone on staff reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.accounts.models import BillingProfile, Contact, Customer
from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create

pytestmark = pytest.mark.django_db
CUSTOMERS = "/backoffice/accounts/customer/"


def form_data(**overrides):
    data = {
        "name": "Acme Telecom",
        "currency": "usd",
        "debit_limit": "100",
        "minimum_payment": "20",
        "topup_currencies": "usd, eur",
        "show_balance": "unknown",
        "show_payments": "true",
        "show_pending_bank_payments": "unknown",
        "allow_vouchers": "false",
        "follow_default_blocked_methods": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-email": "billing@acme.example",
        "billing_profile-TOTAL_FORMS": "0",
        "billing_profile-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_an_administrator_creates_a_customer_with_contacts(administrator, admin_user):
    response = administrator.post(CUSTOMERS + "add/", form_data())
    assert response.status_code == 302, response.context and response.context["errors"]
    customer = Customer.objects.get()
    assert (customer.name, customer.currency, customer.slug) == (
        "Acme Telecom",
        "USD",
        "acme-telecom",
    )
    assert customer.debit_limit == Decimal("100")
    assert customer.minimum_payment == Decimal("20")
    assert customer.topup_currencies == ["EUR", "USD"]
    assert (customer.show_balance, customer.show_payments, customer.allow_vouchers) == (
        None,
        True,
        False,
    )
    assert customer.blocked_methods is None
    assert list(customer.contacts.values_list("email", flat=True)) == ["billing@acme.example"]
    assert customer.balance == 0
    actions = set(
        AuditEntry.objects.filter(actor=admin_user, action__startswith="customer.").values_list(
            "action", flat=True
        )
    )
    assert actions == {"customer.create", "customer.contacts"}


def test_bad_limits_and_currencies_are_shown_next_to_the_field(administrator):
    response = administrator.post(
        CUSTOMERS + "add/", form_data(currency="XXQ", debit_limit="-1", topup_currencies="usd, zz")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"currency", "debit_limit", "topup_currencies"} <= set(errors)
    assert not Customer.objects.exists()


def test_editing_changes_limits_never_the_currency_or_the_balance(
    administrator, admin_user, customer
):
    payment_create(customer=customer, total="7", description="Top-up")
    url = f"{CUSTOMERS}{customer.pk}/change/"
    page = administrator.get(url).content.decode()
    assert "$7.00 USD" in page  # the balance, shown
    assert f"/backoffice/ledger/payment/?customer={customer.pk}" in page
    data = form_data(
        name="Renamed",
        currency="EUR",
        balance="1000000",
        debit_limit="5",
        follow_default_blocked_methods="",
        blocked_methods=["paypal"],
        **{"contacts-0-email": ""},
    )
    response = administrator.post(url, data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Renamed"
    assert customer.currency == "USD"
    assert customer.balance == Decimal("7")
    assert customer.debit_limit == Decimal("5")
    assert customer.blocked_methods == ["paypal"]
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.actor == admin_user
    assert entry.before["debit_limit"] != entry.after["debit_limit"]
    assert entry.before["currency"] == entry.after["currency"] == "USD"


def test_removing_a_contact_is_audited(administrator, customer):
    contact = Contact.objects.create(customer=customer, email="old@example.com")
    data = form_data(
        **{
            "contacts-TOTAL_FORMS": "2",
            "contacts-INITIAL_FORMS": "1",
            "contacts-0-id": str(contact.pk),
            "contacts-0-customer": str(customer.pk),
            "contacts-0-email": "old@example.com",
            "contacts-0-DELETE": "on",
            "contacts-1-email": "new@example.com",
        }
    )
    response = administrator.post(f"{CUSTOMERS}{customer.pk}/change/", data)
    assert response.status_code == 302
    assert list(customer.contacts.values_list("email", flat=True)) == ["new@example.com"]
    entry = AuditEntry.objects.get(action="customer.contacts")
    assert entry.before == {"contacts": ["old@example.com"]}
    assert entry.after == {"contacts": ["new@example.com"]}


@pytest.mark.parametrize("who", ["support", "finance"])
def test_support_and_finance_read_customers_but_cannot_change_them(request, who, customer):
    client = request.getfixturevalue(who)
    assert client.get(CUSTOMERS).status_code == 200
    assert client.get(f"{CUSTOMERS}{customer.pk}/change/").status_code == 200
    assert (
        client.post(f"{CUSTOMERS}{customer.pk}/change/", form_data(name="Hacked")).status_code
        == 403
    )
    assert client.post(CUSTOMERS + "add/", form_data()).status_code == 403
    customer.refresh_from_db()
    assert customer.name != "Hacked"
    assert Customer.objects.count() == 1


def test_nobody_deletes_a_customer(administrator, customer):
    assert (
        administrator.post(f"{CUSTOMERS}{customer.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_list_shows_balance_and_debit_limit_as_money(support, customer):
    customer.debit_limit = Decimal("1234.5")
    customer.save(update_fields=["debit_limit"])
    payment_create(customer=customer, total="-10", description="DID")
    page = support.get(CUSTOMERS).content.decode()
    assert "-$10.00 USD" in page
    assert "$1,234.50 USD" in page


def _profile_data(**fields):
    profile = {
        "legal_name": "Acme Telecom Inc.",
        "address_line1": "1 Main Street",
        "address_line2": "",
        "city": "London",
        "postal_code": "EC1A 1BB",
        "region": "",
        "country": "GB",
        "tax_id": "GB 980 7806 84",
        **fields,
    }
    return {
        "billing_profile-TOTAL_FORMS": "1",
        "billing_profile-INITIAL_FORMS": "0",
        **{f"billing_profile-0-{name}": value for name, value in profile.items()},
    }


def test_staff_edit_the_billing_profile_on_the_customers_page_audited(
    administrator, admin_user, customer
):
    url = f"{CUSTOMERS}{customer.pk}/change/"
    page = administrator.get(url).content.decode()
    assert "billing_profile-0-tax_id" in page and "never looked up online" in page
    response = administrator.post(
        url, form_data(name=customer.name, currency="USD", **_profile_data())
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    profile = BillingProfile.objects.get(customer=customer)
    assert (profile.legal_name, profile.tax_id, profile.updated_by) == (
        "Acme Telecom Inc.",
        "GB980780684",
        admin_user,
    )
    entry = AuditEntry.objects.get(action="billing_profile.update")
    assert entry.actor == admin_user and entry.customer_id == customer.pk
    assert (entry.before["legal_name"], entry.after["legal_name"]) == ("", "Acme Telecom Inc.")


def test_an_invalid_tax_id_in_the_back_office_is_a_field_error(administrator, customer):
    url = f"{CUSTOMERS}{customer.pk}/change/"
    data = form_data(name=customer.name, currency="USD", **_profile_data(tax_id="GB980780685"))
    response = administrator.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "check digits do not match" in body
    assert not BillingProfile.objects.exists()
