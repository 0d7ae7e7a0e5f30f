"""A refund event is bound to Paydesk's refund row only by what Paydesk set or the gateway
returned (its refund id, our refund reference), never by its amount: a refund made in the
gateway's dashboard for the same amount while one of ours waits for its answer is another
refund, and both are recorded (docs/refunds.md, "Binding a refund event")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.refunds import payment_refund
from paydesk.gateways.base import Outcome, RefundEvent
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import Money
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def _event(payment: Payment, refund_id: str, refund_reference: str = "") -> RefundEvent:
    return RefundEvent(
        gateway="card",
        event_id=f"evt_{refund_id}",
        refund_id=refund_id,
        outcome=Outcome.COMPLETED,
        amount=Money(Decimal("20.00"), "USD"),
        transaction_id=payment.gateway_transaction,
        refund_reference=refund_reference,
    )


def test_a_dashboard_refund_of_the_same_amount_never_takes_our_waiting_refund(
    card_gateway, finance
):
    """Our 20.00 refund reached the gateway but its answer was lost; someone also refunds 20.00
    in the gateway's dashboard. Its event (no reference of ours) is its own row; ours is settled
    by its own event: two refunds, 40.00 gone back, none lost."""
    payment = card_payment()
    card_gateway.unavailable = True
    ours = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="20")
    assert ours.status == PaymentStatus.PENDING and ours.gateway_transaction == ""

    dashboard = gateway_event_apply(event=_event(payment, "re_dashboard")).payment
    ours.refresh_from_db()
    assert dashboard is not None and dashboard.pk != ours.pk
    assert dashboard.status == PaymentStatus.COMPLETED
    assert dashboard.gateway_transaction == "refund:re_dashboard"
    assert ours.status == PaymentStatus.PENDING and ours.gateway_transaction == ""

    gateway_event_apply(event=_event(payment, "re_ours", ours.reference))
    ours.refresh_from_db()
    assert ours.status == PaymentStatus.COMPLETED
    assert ours.gateway_transaction == "refund:re_ours"
    rows = Payment.objects.filter(original=payment).order_by("id")
    assert [(r.total, r.status) for r in rows] == [
        (Decimal("-20.00"), PaymentStatus.COMPLETED),
        (Decimal("-20.00"), PaymentStatus.COMPLETED),
    ]
    payment.customer.refresh_from_db(fields=["balance"])
    assert payment.customer.balance == Decimal("10.00")


def test_a_second_refund_under_our_reference_is_its_own_row(card_gateway, finance):
    """The gateway made two refunds naming our refund (its idempotency key had expired): the one
    whose id is not our row's is recorded as its own refund, not folded into ours."""
    payment = card_payment()
    card_gateway.answer = Outcome.PENDING
    ours = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="20")
    assert ours.gateway_transaction == "refund:re_0001"
    second = gateway_event_apply(event=_event(payment, "re_second", ours.reference)).payment
    ours.refresh_from_db()
    assert second is not None and second.pk != ours.pk
    assert second.status == PaymentStatus.COMPLETED and second.total == Decimal("-20.00")
    assert ours.status == PaymentStatus.PENDING
