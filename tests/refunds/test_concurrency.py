"""Refunds under concurrency, on PostgreSQL (real row locks and constraints): two Finance users
refunding one payment at once for more than it holds → one refund; the same refund or dispute
event delivered 8 times at once → one row."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.refunds import payment_refund
from paydesk.errors import RefundRefused
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.ledger.models import Payment, PaymentRelation, RefundLimit
from paydesk.ledger.selectors import balance_drifts
from paydesk.money import Money
from tests.factories import StaffFactory
from tests.refunds.conftest import card_payment
from tests.vouchers.conftest import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_finance_users_refunding_more_than_it_holds_at_once(card_gateway):
    payment = card_payment()
    people = [StaffFactory(staff_role="finance") for _ in range(2)]
    outcomes = run_at_once(
        2,
        lambda i: payment_refund(
            payment=payment.pk, reason=f"Refund by {i}", actor=people[i], total="30.00"
        ),
    )
    refused = [o for o in outcomes if isinstance(o, RefundRefused)]
    made = [o for o in outcomes if isinstance(o, Payment)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert Payment.objects.filter(original=payment).count() == 1
    assert RefundLimit.objects.get(payment=payment).held == Decimal("30.00")
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("20.00")
    assert not balance_drifts()


def test_one_refund_event_delivered_8_times_at_once(card_gateway):
    payment = card_payment()
    event = RefundEvent(
        gateway="card",
        event_id="evt_refund_once",
        refund_id="re_once",
        outcome=Outcome.COMPLETED,
        amount=Money(Decimal("50.00"), "USD"),
        transaction_id=payment.gateway_transaction,
    )
    outcomes = run_at_once(8, lambda i: gateway_event_apply(event=event))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Payment.objects.filter(original=payment, relation=PaymentRelation.REFUND).count() == 1
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")


def test_one_dispute_event_delivered_8_times_at_once_under_different_ids(card_gateway):
    """Retold with eight different event ids (a re-sent notification): still one chargeback."""
    payment = card_payment()
    outcomes = run_at_once(
        8,
        lambda i: gateway_event_apply(
            event=DisputeEvent(
                gateway="card",
                event_id=f"evt_funds_withdrawn_{i}",
                dispute_id="dp_once",
                stage=DisputeStage.FUNDS_WITHDRAWN,
                amount=Money(Decimal("50.00"), "USD"),
                transaction_id=payment.gateway_transaction,
            )
        ),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    rows = Payment.objects.filter(original=payment, relation=PaymentRelation.CHARGEBACK)
    assert rows.count() == 1
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")
    assert not balance_drifts()
