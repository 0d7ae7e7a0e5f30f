"""Make Payment with saved methods (issue 14, the demo walk's findings): the customer's saved
card and SEPA mandate are the first Pay via choices, the default chosen; the currency follows
the chosen method (SEPA Direct Debit: euros, refused at the quote otherwise); one Pay after the
quote; a SEPA payment is SEPA Direct Debit •••• 3000 everywhere it shows, with its mandate in
the back office."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from paydesk.checkout.forms import new_form_token
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.methods.models import SavedMethodCharge
from tests.online.stripe_support import save_card, save_sepa
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _options(html: str, name: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of each option of the select `name`."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return [
        (value, text.strip(), " selected" in attrs)
        for value, attrs, text in re.findall(
            r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select.group(1)
        )
    ]


def test_saved_methods_are_the_first_choices_the_default_chosen(sandbox, online_customer):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    card = save_card(sandbox.url, user)
    mandate = save_sepa(sandbox.url, user).payment_method
    html = _client(user).get("/pay/").content.decode()
    options = _options(html, "method")
    assert options[:3] == [
        ("", "Choose…", False),
        (card, "Card •••• 4242 (default)", True),
        (mandate, "SEPA Direct Debit •••• 3000", False),
    ]
    assert ("card", "Credit Card", False) in options[3:]  # a new card: after them
    # SEPA Direct Debit is not a choice of its own: it pays only with a saved mandate.
    assert "sepa_debit" not in [value for value, _text, _selected in options]


def test_with_a_sepa_default_the_currency_follows_the_method(sandbox, online_customer):
    user = online_customer("card", "USD", account="USD", sepa=True)
    mandate = save_sepa(sandbox.url, user).payment_method
    client = _client(user)
    html = client.get("/pay/").content.decode()
    assert [o for o in _options(html, "method") if o[2]] == [
        (mandate, "SEPA Direct Debit •••• 3000 (default)", True)
    ]
    assert [value for value, _t, _s in _options(html, f"{mandate}-currency")] == ["EUR"]
    # The live quote of a SEPA debit in dollars is refused next to the currency field.
    quote = client.get("/pay/quote", {"method": "sepa_debit", "amount": "20", "currency": "USD"})
    assert quote.json() == {
        "ok": False,
        "errors": {
            "currency": "SEPA Direct Debit cannot be paid in USD on this account. Choose EUR."
        },
    }
    # A form sent with dollars anyway is refused at the quote, nothing made.
    page = client.post(
        "/pay/",
        {
            "form_token": new_form_token(),
            "method": mandate,
            f"{mandate}-amount": "20.00",
            f"{mandate}-currency": "USD",
            "action": "quote",
        },
    )
    assert page.status_code == 200 and 'data-quote="total_charged"' not in page.content.decode()
    assert "is not one of the available choices" in page.content.decode()
    assert not Payment.objects.filter(customer=user.customer).exists()


def test_one_pay_after_the_quote_with_the_saved_card(sandbox, online_customer):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    card = save_card(sandbox.url, user)
    answer = _client(user).post(
        "/pay/",
        {
            "form_token": new_form_token(),
            "method": card,
            f"{card}-amount": "10.50",
            f"{card}-currency": "EUR",
            "action": "pay",
        },
    )
    payment = Payment.objects.get(customer=user.customer)
    assert answer.status_code == 302 and answer["Location"] == f"/pay/status/{payment.reference}/"
    assert (payment.status, payment.method) == (PaymentStatus.COMPLETED, "card")
    assert SavedMethodCharge.objects.get(payment=payment).label == "Card •••• 4242"


def test_a_sepa_payment_reads_as_sepa_everywhere(sandbox, online_customer, finance_user):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    setup = save_sepa(sandbox.url, user)
    client = _client(user)
    client.post(
        "/pay/",
        {
            "form_token": new_form_token(),
            "method": setup.payment_method,
            f"{setup.payment_method}-amount": "20.00",
            f"{setup.payment_method}-currency": "EUR",
            "action": "pay",
        },
    )
    payment = Payment.objects.get(customer=user.customer)
    assert (payment.status, payment.method) == (PaymentStatus.PENDING, "sepa_debit")
    csv = b"".join(client.get("/payments/export.csv").streaming_content).decode()
    assert "SEPA Direct Debit •••• 3000, €20.00 EUR" in csv and "Credit Card" not in csv
    staff = sign_in(Client(), finance_user)
    page = staff.get(f"/backoffice/ledger/payment/{payment.pk}/change/").content.decode()
    assert f"SEPA Direct Debit •••• 3000, mandate {setup.mandate}" in page
