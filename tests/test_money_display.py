"""Finding 5 of issue 13: one display precision. Pages and emails show every amount of a currency
with the same decimals (the exponent, or the provider's PAYDESK_MONEY_DISPLAY_PLACES), rounded for
display only; a non-zero amount never shows as zero; CSV and JSON keep every decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.money import format_money, format_rate, plain_amount


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1587.215", "USD", "$1,587.22 USD"),
        ("-6.3012", "USD", "-$6.30 USD"),
        ("150.0000", "USD", "$150.00 USD"),
        ("-0.0125", "USD", "-$0.01 USD"),
        ("-0.0012", "USD", "-$0.0012 USD"),  # never rounded away to -$0.00
        ("0", "USD", "$0.00 USD"),
        ("1000", "JPY", "¥1,000 JPY"),
        ("5", "KWD", "5.000 KWD"),
        ("2500", "NGN", "₦2,500.00 NGN"),
        ("2500", "INR", "₹2,500.00 INR"),
    ],
)
def test_amounts_are_shown_at_the_currency_precision(amount, currency, shown):
    assert format_money(Decimal(amount), currency) == shown


def test_the_provider_sets_a_finer_display_precision(settings):
    settings.PAYDESK_MONEY_DISPLAY_PLACES = 3
    assert format_money(Decimal("1587.215"), "USD") == "$1,587.215 USD"
    assert format_money(Decimal("10"), "USD") == "$10.000 USD"  # aligned with the others
    assert format_money(Decimal("-6.3012"), "USD") == "-$6.301 USD"
    assert format_money(Decimal("5"), "KWD") == "5.000 KWD"  # never below the exponent
    settings.PAYDESK_MONEY_DISPLAY_PLACES = 4
    assert format_money(Decimal("-6.3012"), "USD") == "-$6.3012 USD"


def test_exact_display_and_csv_keep_every_decimal():
    assert format_money(Decimal("-6.3012"), "USD", exact=True) == "-$6.3012 USD"
    assert plain_amount(Decimal("-6.3012"), "USD") == "-6.3012"
    assert plain_amount(Decimal("1587.2150"), "USD") == "1587.215"
    assert plain_amount(Decimal("150.0000"), "USD") == "150.00"


def test_a_total_is_the_exact_sum_rounded_once():
    rows = [Decimal("0.004")] * 3
    assert format_money(sum(rows), "USD") == "$0.01 USD"  # not three $0.00 added up


@pytest.mark.parametrize(
    ("rate", "shown"),
    [("1.0850000000", "1.085"), ("160.5", "160.5"), ("1", "1"), ("0.9216589862", "≈0.921659")],
)
def test_rates_are_readable(rate, shown):
    assert format_rate(Decimal(rate)) == shown


def test_a_payment_reads_at_the_display_precision():
    """What the back office shows for a payment it links to (the payment log's Payment field)."""
    from paydesk.accounts.models import Customer
    from paydesk.ledger.models import Payment

    payment = Payment(
        reference="6NR76-PEWSX-V",
        total=Decimal("75.0000"),
        status="pending",
        customer=Customer(currency="USD"),
    )
    assert str(payment) == "6NR76-PEWSX-V $75.00 USD pending"
