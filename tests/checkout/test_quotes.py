"""Quotes, worked through like a cashier would: what is charged, what is credited, which rate.

Rates are EUR→X as the ECB publishes them; other pairs are derived (inverse or via EUR, 10
significant digits), and every converted amount is rounded once, half-up, to the minor unit.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from paydesk.checkout.quotes import quote_build
from paydesk.errors import InvalidAmount, InvalidCurrency, MethodUnavailable, RateUnavailable
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_usd_account_paying_eur_is_credited_at_the_days_rate(rates):
    rates({"USD": "1.0850"})
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "EUR"])

    quote = quote_build(customer=customer, method="bank_transfer", amount="100.00", currency="EUR")

    assert (quote.amount, quote.currency) == (Decimal("100.00"), "EUR")
    assert quote.surcharge == Decimal("0")
    assert quote.total_charged == Decimal("100.00")
    assert (quote.credit, quote.account_currency) == (Decimal("108.50"), "USD")
    assert quote.rate.rate == Decimal("1.0850")
    assert quote.as_json()["display"]["credit"] == "$108.50 USD"
    assert quote.as_json()["fx_rate"] == "1.085"


def test_the_surcharge_is_charged_on_top_and_never_credited(rates):
    rates({"USD": "1.0850"})
    configure(surcharge_percent=Decimal("2.5"))
    customer = CustomerFactory(currency="USD", topup_currencies=["EUR"])

    quote = quote_build(customer=customer, method="bank_transfer", amount="100", currency="EUR")

    assert quote.surcharge == Decimal("2.50")
    assert quote.total_charged == Decimal("102.50")
    assert quote.credit == Decimal("108.50")  # 100 EUR converted; the 2.50 EUR is the fee
    assert quote.as_json()["display"]["total_charged"] == "€102.50 EUR"


def test_usd_paid_into_a_jpy_account_rounds_to_whole_yen(rates):
    rates({"USD": "1.0850", "JPY": "162.35"})
    customer = CustomerFactory(currency="JPY", topup_currencies=["USD"])

    quote = quote_build(customer=customer, method="bank_transfer", amount="100", currency="USD")

    # USD→JPY = 162.35 / 1.0850 = 149.6313364 (via EUR); 100 × that = 14,963.13364 → 14,963
    assert quote.rate.rate == Decimal("149.6313364")
    assert quote.credit == Decimal("14963")
    assert quote.as_json()["credit"] == "14963"


def test_yen_paid_into_a_usd_account_and_yen_have_no_decimals(rates):
    rates({"USD": "1.0850", "JPY": "162.35"})
    customer = CustomerFactory(currency="USD", topup_currencies=["JPY"])

    quote = quote_build(customer=customer, method="bank_transfer", amount="10000", currency="JPY")
    assert quote.rate.rate == Decimal("0.006683092085")  # 1.0850 / 162.35, 10 significant
    assert quote.credit == Decimal("66.83")

    with pytest.raises(InvalidAmount) as refused:
        quote_build(customer=customer, method="bank_transfer", amount="10000.5", currency="JPY")
    assert refused.value.field == "amount"
    assert refused.value.message == "JPY amounts have no decimal places."


def test_kwd_has_three_decimals_both_ways(rates):
    rates({"USD": "1.0850", "KWD": "0.3331"})
    kwd_account = CustomerFactory(currency="KWD", topup_currencies=["USD"])
    usd_account = CustomerFactory(currency="USD", topup_currencies=["KWD"])

    into_kwd = quote_build(
        customer=kwd_account, method="bank_transfer", amount="10.01", currency="USD"
    )
    # USD→KWD = 0.3331 / 1.0850 = 0.3070046083; 10.01 × that = 3.07311612… → 3.073
    assert into_kwd.credit == Decimal("3.073")
    assert into_kwd.as_json()["display"]["credit"] == "3.073 KWD"

    from_kwd = quote_build(
        customer=usd_account, method="bank_transfer", amount="10.125", currency="KWD"
    )
    # KWD→USD = 1.0850 / 0.3331 = 3.257280096; 10.125 × that = 32.97996… → 32.98
    assert from_kwd.credit == Decimal("32.98")

    with pytest.raises(InvalidAmount) as refused:
        quote_build(customer=usd_account, method="bank_transfer", amount="10.1255", currency="KWD")
    assert refused.value.message == "KWD amounts have at most 3 decimal places."


@pytest.mark.parametrize(
    ("amount", "percent", "fixed", "surcharge"),
    [
        ("100.00", "2.9", "0.30", "3.20"),  # 2.90 + 0.30
        ("10.05", "2.9", "0.30", "0.59"),  # 0.29145 + 0.30 = 0.59145 → 0.59
        ("1.00", "2.5", "0", "0.03"),  # 0.025 → 0.03: half up, not half even
        ("10.10", "2.5", "0.30", "0.55"),  # 0.2525 + 0.30 = 0.5525 → 0.55, rounded once
        ("0.01", "0.5", "0", "0.00"),  # 0.00005 → nothing
    ],
)
def test_surcharge_is_fixed_plus_percent_rounded_once_half_up(amount, percent, fixed, surcharge):
    configure(surcharge_percent=Decimal(percent), surcharge_fixed=Decimal(fixed))
    customer = CustomerFactory(currency="USD")

    quote = quote_build(customer=customer, method="bank_transfer", amount=amount, currency="USD")

    assert quote.surcharge == Decimal(surcharge)
    assert quote.total_charged == Decimal(amount) + Decimal(surcharge)
    assert quote.credit == Decimal(amount)


def test_a_fixed_surcharge_in_usd_is_converted_to_the_currency_paid(rates):
    rates({"USD": "1.25"})
    configure(surcharge_fixed=Decimal("0.50"), amounts_currency="USD")
    customer = CustomerFactory(currency="EUR")

    quote = quote_build(customer=customer, method="bank_transfer", amount="10", currency="EUR")

    assert quote.surcharge == Decimal("0.40")  # 0.50 USD × (1 / 1.25)


def test_minimum_payment_is_inclusive_and_says_so_at_the_amount():
    customer = CustomerFactory(currency="USD", minimum_payment=Decimal("20"))

    exactly = quote_build(customer=customer, method="bank_transfer", amount="20.00", currency="USD")
    assert exactly.credit == Decimal("20.00")

    with pytest.raises(InvalidAmount) as refused:
        quote_build(customer=customer, method="bank_transfer", amount="19.99", currency="USD")
    assert refused.value.field == "amount"
    assert refused.value.message == "Your minimum payment is $20.00 USD."


def test_minimum_payment_in_the_account_currency_applies_to_the_converted_credit(rates):
    rates({"USD": "1.0850"})
    customer = CustomerFactory(
        currency="USD", topup_currencies=["EUR"], minimum_payment=Decimal("21.70")
    )
    # 20 EUR → 21.70 USD: exactly the minimum; 19.99 EUR → 21.69 USD: one cent short
    assert quote_build(
        customer=customer, method="bank_transfer", amount="20", currency="EUR"
    ).credit == Decimal("21.70")
    with pytest.raises(InvalidAmount) as refused:
        quote_build(customer=customer, method="bank_transfer", amount="19.99", currency="EUR")
    # Said in the currency typed too: the smallest amount the page then accepts.
    assert refused.value.message == (
        "Your minimum payment is $21.70 USD: at least €20.00 EUR at today's rate."
    )


@pytest.mark.parametrize("rate", ["0.00065", "1.0850", "0.0120222", "3.3333333"])
def test_the_smallest_amount_said_in_another_currency_is_exactly_the_first_accepted(rates, rate):
    """A payer in NGN saw only "Your minimum payment is $20.00 USD." with no idea how many
    naira that is; the amount now named is accepted, one minor unit less is refused."""
    rates({"USD": rate})
    customer = CustomerFactory(
        currency="USD", topup_currencies=["EUR"], minimum_payment=Decimal("20")
    )
    with pytest.raises(InvalidAmount) as refused:
        half = str(round(Decimal(10) / Decimal(rate), 2))  # about $10.00 USD
        quote_build(customer=customer, method="bank_transfer", amount=half, currency="EUR")
    said = re.search(r"at least €([\d,]+\.\d\d) EUR at today's rate\.$", refused.value.message)
    assert said, refused.value.message
    smallest = Decimal(said.group(1).replace(",", ""))
    accepted = quote_build(
        customer=customer, method="bank_transfer", amount=str(smallest), currency="EUR"
    )
    assert accepted.credit >= Decimal("20")
    with pytest.raises(InvalidAmount):
        quote_build(
            customer=customer, method="bank_transfer", amount=str(smallest - Decimal("0.01")),
            currency="EUR",
        )  # fmt: skip


def test_method_minimum_and_maximum(rates):
    configure(minimum_amount=Decimal("10"), maximum_amount=Decimal("1000"))
    customer = CustomerFactory(currency="USD")

    assert quote_build(
        customer=customer, method="bank_transfer", amount="1000", currency="USD"
    ).credit == Decimal("1000")
    with pytest.raises(InvalidAmount) as above:
        quote_build(customer=customer, method="bank_transfer", amount="1000.01", currency="USD")
    assert above.value.message == "The largest Bank Transfer payment is $1,000.00 USD."
    assert above.value.field == "amount"
    with pytest.raises(InvalidAmount, match="smallest Bank Transfer payment is \\$10.00 USD"):
        quote_build(customer=customer, method="bank_transfer", amount="9.99", currency="USD")


def test_currency_not_allowed_for_the_customer_or_the_method(rates):
    rates({"USD": "1.0850", "GBP": "0.8700"})
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "GBP"])

    with pytest.raises(InvalidCurrency) as not_customer:
        quote_build(customer=customer, method="bank_transfer", amount="10", currency="EUR")
    assert not_customer.value.field == "currency"
    assert "cannot be paid in EUR" in not_customer.value.message

    configure(currencies=["USD"])
    with pytest.raises(InvalidCurrency, match="cannot be paid in GBP"):
        quote_build(customer=customer, method="bank_transfer", amount="10", currency="GBP")

    with pytest.raises(InvalidCurrency) as junk:
        quote_build(customer=customer, method="bank_transfer", amount="10", currency="XYZ")
    assert junk.value.field == "currency"


def test_no_usable_rate_refuses_the_currency(rates):
    rates({"USD": "1.0850", "GBP": "0.8700"}, days_ago=30)  # too old to use
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "GBP"])

    with pytest.raises(RateUnavailable) as refused:
        quote_build(customer=customer, method="bank_transfer", amount="10", currency="GBP")
    assert refused.value.field == "currency"
    assert refused.value.message == (
        "GBP cannot be used today: there is no current exchange rate to USD."
    )


@pytest.mark.parametrize("amount", ["", "abc", "-5", "0", "1e3", "10.001"])
def test_bad_amounts_are_refused_at_the_amount(amount):
    customer = CustomerFactory(currency="USD")
    with pytest.raises(InvalidAmount) as refused:
        quote_build(customer=customer, method="bank_transfer", amount=amount, currency="USD")
    assert refused.value.field == "amount"


def test_unknown_disabled_and_voucher_methods_have_no_quote():
    customer = CustomerFactory(currency="USD")
    for method in ["paypal", "card", "nope", "voucher"]:
        with pytest.raises(MethodUnavailable) as refused:
            quote_build(customer=customer, method=method, amount="10", currency="USD")
        assert refused.value.field == "method"


def test_a_float_never_gets_in():
    customer = CustomerFactory(currency="USD")
    with pytest.raises(InvalidAmount):
        quote_build(customer=customer, method="bank_transfer", amount=10.5, currency="USD")


def test_the_rate_date_and_source_come_with_the_quote(rates):
    rates({"USD": "1.0800"}, days_ago=2)
    customer = CustomerFactory(currency="USD", topup_currencies=["EUR"])
    quote = quote_build(customer=customer, method="bank_transfer", amount="10", currency="EUR")
    from django.utils import timezone

    assert quote.rate.rate_date == timezone.localdate() - timedelta(days=2)
    assert quote.rate.source == "ECB"
    assert quote.rate_text.startswith("1 EUR = 1.08 USD (ECB, ")


def test_a_quote_in_the_account_currency_names_no_rate_and_others_a_short_one(rates):
    rates({"USD": "1.0845237190"})
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "EUR"])
    same = quote_build(customer=customer, method="bank_transfer", amount="50", currency="USD")
    assert same.rate_text == "" and same.as_json()["display"]["fx_rate"] == ""
    euros = quote_build(customer=customer, method="bank_transfer", amount="50", currency="EUR")
    assert euros.rate_text.startswith("1 EUR = 1.08452 USD (ECB, ")
    assert euros.as_json()["fx_rate"] == "1.084523719"
