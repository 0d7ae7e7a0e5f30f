"""How an amount reads (spec §Amounts and currencies, docs/decisions.md): sign, symbol, amount,
code, with the currency's decimals, or more when the amount has them; never rounded for display,
so pages, emails, the CSV and the API give the same number."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.money import display_places, format_money, format_rate, plain_amount


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("-10", "USD", "-$10.00 USD"),
        ("2123", "USD", "$2,123.00 USD"),
        ("150.0000", "USD", "$150.00 USD"),  # the storage's trailing zeros are not decimals
        ("0", "USD", "$0.00 USD"),
        ("1000", "JPY", "¥1,000 JPY"),
        ("5", "KWD", "5.000 KWD"),
        ("2500", "NGN", "₦2,500.00 NGN"),
        ("2500", "INR", "₹2,500.00 INR"),
    ],
)
def test_an_amount_with_no_more_decimals_than_its_currency_shows_the_currency_decimals(
    amount, currency, shown
):
    assert format_money(Decimal(amount), currency) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("-10.6978", "USD", "-$10.6978 USD"),
        ("15.005", "USD", "$15.005 USD"),  # not $15.01
        ("15.004", "USD", "$15.004 USD"),  # not $15.00
        ("2603.9855", "USD", "$2,603.9855 USD"),
        ("1587.2150", "USD", "$1,587.215 USD"),  # trailing zero beyond the exponent dropped
        ("-0.0012", "USD", "-$0.0012 USD"),
        ("1000.5", "JPY", "¥1,000.5 JPY"),
        ("5.0001", "KWD", "5.0001 KWD"),
        ("-1234.5678", "EUR", "-€1,234.5678 EUR"),
    ],
)
def test_an_amount_with_more_decimals_shows_every_one_of_them(amount, currency, shown):
    assert format_money(Decimal(amount), currency) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "places"),
    [
        ("10", "USD", 2),
        ("10.5", "USD", 2),
        ("10.6978", "USD", 4),
        ("15.0050", "USD", 3),
        ("1000", "JPY", 0),
        ("1000.50", "JPY", 1),
        ("5", "KWD", 3),
    ],
)
def test_display_places_is_the_currency_exponent_or_the_amounts_own_decimals(
    amount, currency, places
):
    assert display_places(Decimal(amount), currency) == places


def test_the_csv_and_the_api_give_the_same_decimals_as_the_page():
    for amount in ("-10.6978", "15.005", "150.0000", "2603.9855"):
        shown = format_money(Decimal(amount), "USD")
        assert shown.replace("$", "").replace(",", "").removesuffix(" USD") == plain_amount(
            Decimal(amount), "USD"
        )


def test_shown_rows_add_up_to_the_shown_balance():
    """The finance review's rows: $1,676.00, then -$10.6978, leaves $1,665.3022."""
    before, row = Decimal("1676.00"), Decimal("-10.6978")
    assert format_money(before, "USD") == "$1,676.00 USD"
    assert format_money(row, "USD") == "-$10.6978 USD"
    assert format_money(before + row, "USD") == "$1,665.3022 USD"


@pytest.mark.parametrize(
    ("rate", "shown"),
    [("1.0850000000", "1.085"), ("160.5", "160.5"), ("1", "1"), ("0.9216589862", "≈0.921659")],
)
def test_rates_are_readable(rate, shown):
    assert format_rate(Decimal(rate)) == shown


@pytest.mark.parametrize(
    ("total", "shown"), [("75.0000", "$75.00 USD"), ("-10.6978", "-$10.6978 USD")]
)
def test_a_payment_reads_as_the_pages_show_it(total, shown):
    """What the back office shows for a payment it links to (the payment log's Payment field)."""
    from paydesk.accounts.models import Customer
    from paydesk.ledger.models import Payment

    payment = Payment(
        reference="6NR76-PEWSX-V",
        total=Decimal(total),
        status="pending",
        customer=Customer(currency="USD"),
    )
    assert str(payment) == f"6NR76-PEWSX-V {shown} pending"
