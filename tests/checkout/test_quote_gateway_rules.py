"""A gateway's own amount rules are said by the quote, next to the amount, before Pay: PayPal
charges HUF in whole forints, Razorpay and Stripe charge KWD only in tens of fils, Razorpay's
smallest INR payment is ₹1.00. Nothing is created."""

from __future__ import annotations

import pytest

from paydesk.checkout.quotes import quote_build
from paydesk.errors import InvalidAmount
from paydesk.ledger.models import Payment
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(rates):
    rates({"USD": "1.0850", "HUF": "395.5", "KWD": "0.3312", "INR": "90.25"})
    return CustomerFactory(currency="USD", topup_currencies=["USD", "HUF", "KWD", "INR"])


@pytest.mark.parametrize(
    ("method", "currency", "refused", "accepted", "message"),
    [
        ("paypal", "HUF", "1500.50", "1500", "PayPal takes only whole HUF amounts."),
        (
            "razorpay",
            "KWD",
            "10.005",
            "10.010",
            "Razorpay takes KWD amounts only in steps of 0.010 KWD.",
        ),
        (
            "card",
            "KWD",
            "10.005",
            "10.010",
            "Stripe charges KWD in multiples of 0.010: 10.005 KWD cannot be charged.",
        ),
        ("razorpay", "INR", "0.50", "1.00", "Razorpay's smallest INR payment is ₹1.00 INR."),
    ],
)
def test_the_quote_says_what_the_gateway_cannot_charge(
    payer, method, currency, refused, accepted, message
):
    configure(method, enabled=True, currencies=[currency], amounts_currency=currency)
    with pytest.raises(InvalidAmount) as refusal:
        quote_build(customer=payer, method=method, amount=refused, currency=currency)
    assert (refusal.value.field, refusal.value.message) == ("amount", message)
    quote = quote_build(customer=payer, method=method, amount=accepted, currency=currency)
    assert quote.total_charged == quote.amount
    assert not Payment.objects.exists()
