"""What Finance may type as a refund's amount: whole minor units of the account currency (no
gateway sends back a fraction of a cent), except "all that is left", which keeps the payment's
own decimals. Found trying the demo as Finance: 20.005 was confirmed as "$20.01", then held
on a pending refund that the gateway could never be asked for."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.refunds import payment_refund
from paydesk.errors import InvalidAmount
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refunds import refund_left
from paydesk.ledger.services import payment_create
from tests.factories import CustomerFactory
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def test_a_fraction_of_a_cent_is_refused_and_nothing_is_held(card_gateway, finance):
    payment = card_payment()
    with pytest.raises(InvalidAmount) as refused:
        payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="20.005")
    assert (refused.value.field, refused.value.message) == (
        "total",
        "A refund in USD has at most 2 decimals.",
    )
    assert not Payment.objects.filter(original=payment).exists()
    assert card_gateway.requests == []
    assert refund_left(payment=payment) == Decimal("50.00")
    refund = payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="20.00")
    assert (refund.status, refund.total) == (PaymentStatus.COMPLETED, Decimal("-20.00"))


def test_a_currency_without_decimals_says_so(finance):
    customer = CustomerFactory(currency="JPY")
    payment = payment_create(
        customer=customer, total="5000", description="Bank transfer", method="bank_transfer"
    )
    with pytest.raises(InvalidAmount, match="A refund in JPY has no decimals."):
        payment_refund(
            payment=payment, reason="Asked", actor=finance, total="100.5", outside=True,
            note="wire 42",
        )  # fmt: skip


def test_all_that_is_left_keeps_the_payments_own_decimals(finance):
    customer = CustomerFactory()
    payment = payment_create(
        customer=customer, total="80.1234", description="Bank transfer", method="bank_transfer"
    )
    refund = payment_refund(
        payment=payment, reason="Closed", actor=finance, total="80.1234", outside=True,
        note="wire 7",
    )  # fmt: skip
    assert (refund.status, refund.total) == (PaymentStatus.COMPLETED, Decimal("-80.1234"))
    customer.refresh_from_db()
    assert customer.balance == Decimal("0")
