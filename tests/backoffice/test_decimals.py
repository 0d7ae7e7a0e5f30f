"""Issue 13, finding 5 in the back office: amounts with their currency's decimals, rates with
six significant digits (the exact rate kept in a title), and no "1 USD = 1 USD (identity)".

Worked example: a $150.00 transfer's amount-received field reads 150.00 (not 150.0000); a
¥15,000 one reads 15000; EUR 100.00 arriving for a USD account at 1.0845237190 reads
"1 EUR = 1.08452 USD" with 1.084523719 in its title; USD arriving for a USD account says
"No conversion".
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from paydesk.fx.fields import rate_short
from paydesk.fx.services import rate_set
from tests.banktransfers.conftest import signed_in, transfer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("exact", "shown"),
    [
        ("1.0845237190", "1.08452"),
        ("0.0091234567", "0.00912346"),
        ("1.0000000000", "1"),
        ("160.5", "160.5"),
        ("15034.56789", "15034.6"),
        ("1234567.891", "1234568"),
    ],
)
def test_a_rate_reads_with_six_significant_digits(exact, shown):
    assert rate_short(Decimal(exact)) == shown


def _page(payment) -> str:
    return reverse("backoffice:banktransfers_banktransfer_change", args=[payment.pk])


@pytest.mark.parametrize(
    ("currency", "total", "prefill"),
    [("USD", "150", "150.00"), ("JPY", "15000", "15000"), ("KWD", "12.5", "12.500")],
)
def test_the_amount_received_is_prefilled_with_the_currencys_decimals(
    finance_user, currency, total, prefill
):
    payment = transfer(CustomerFactory(currency=currency), total=total)
    html = signed_in(finance_user).get(_page(payment)).content.decode()
    assert f'name="received_amount" value="{prefill}"' in html
    assert f'value="{Decimal(total):.4f}"' not in html


def test_the_same_currency_says_no_conversion(customer, finance_user):
    payment = transfer(customer, total="150")
    html = (
        signed_in(finance_user)
        .post(_page(payment), {"received_amount": "150.00", "received_currency": "USD"})
        .content.decode()
    )
    assert "No conversion" in html
    assert "identity" not in html and "1 USD = 1 USD" not in html


def test_a_converted_receipt_shows_a_short_rate_and_keeps_the_exact_one(customer, finance_user):
    rate_set(
        base="EUR",
        quote="USD",
        rate="1.0845237190",
        rate_date=timezone.localdate(),
        actor=finance_user,
        source="ECB",
    )
    payment = transfer(customer, total="108.45")
    client = signed_in(finance_user)
    html = client.post(
        _page(payment), {"received_amount": "100.00", "received_currency": "EUR"}
    ).content.decode()
    assert 'title="1 EUR = 1.084523719 USD">1 EUR = 1.08452 USD (' in html
    assert "1.0845237190" not in html
    client.post(
        _page(payment),
        {"received_amount": "100.00", "received_currency": "EUR", "previewed": "100.00|EUR"},
    )
    html = client.get(_page(payment)).content.decode()  # the approvals table
    assert 'title="1 EUR = 1.084523719 USD">1 EUR = 1.08452 USD (' in html


def test_the_rates_list_shows_six_digits_with_the_exact_rate_in_a_title(finance_user):
    rate_set(
        base="EUR",
        quote="USD",
        rate="1.0845237190",
        rate_date=timezone.localdate(),
        actor=finance_user,
        source="ECB",
    )
    rate_set(
        base="EUR",
        quote="JPY",
        rate="160.5",
        rate_date=timezone.localdate(),
        actor=finance_user,
        source="ECB",
    )
    html = (
        signed_in(finance_user)
        .get(reverse("backoffice:fx_exchangerate_changelist"))
        .content.decode()
    )
    assert '<span title="1.084523719">1.08452</span>' in html
    assert "160.5<" in html and "1.0845237190" not in html
