"""Properties of every quote (Hypothesis): what a gateway is asked to charge is whole minor units,
the credit is the amount converted and rounded once, and the surcharge is never credited."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paydesk.checkout.quotes import quote_build
from paydesk.errors import InvalidAmount
from paydesk.gateways.base import CheckoutRequest
from paydesk.money import Money, currency_exponent, decimal_places, round_half_up
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CURRENCIES = ["USD", "EUR", "JPY", "KWD"]
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def world(rates):
    rates({"USD": "1.0850", "JPY": "162.35", "KWD": "0.3331"})
    configure(
        surcharge_fixed=Decimal("0.30"), surcharge_percent=Decimal("2.9"), amounts_currency="USD"
    )
    return {
        code: CustomerFactory(currency=code, topup_currencies=CURRENCIES) for code in CURRENCIES
    }


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    account=st.sampled_from(CURRENCIES),
    paid=st.sampled_from(CURRENCIES),
    minor_units=st.integers(min_value=1, max_value=10**9),
)
def test_every_quote_is_exact_and_chargeable(world, account, paid, minor_units):
    amount = Money.from_minor_units(minor_units, paid).amount
    try:
        quote = quote_build(
            customer=world[account], method="bank_transfer", amount=amount, currency=paid
        )
    except InvalidAmount as refused:  # only "too small to credit anything" may refuse
        assert refused.message == "That amount is too small to credit anything."
        return

    assert quote.total_charged == quote.amount + quote.surcharge
    assert quote.surcharge >= 0
    assert decimal_places(quote.total_charged) <= currency_exponent(paid)
    assert decimal_places(quote.credit) <= currency_exponent(account)
    assert quote.credit == round_half_up(quote.amount * quote.rate.rate, currency_exponent(account))
    # A gateway accepts what the quote charges (whole minor units, above zero).
    CheckoutRequest(
        payment_reference="P",
        amount=Money(quote.total_charged, paid),
        customer_email="a@b.c",
        description="x",
        idempotency_key="k" * 16,
        expires_at=WHEN,
    )
