"""A refund whose request got no answer is asked for again with its idempotency key only while
the gateway keeps the key (docs/refunds.md, "Past the idempotency window"). Past it, a gateway
that cannot look a refund up by our reference (this stand-in, like PayPal) is never asked again:
the refund stays pending, flagged for Finance, and the back office says what to check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.refunds import UNANSWERED, UNCONFIRMED, payment_refund
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.refunds import refund_left
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def test_an_unanswered_refund_is_not_asked_for_again_past_the_key_window(
    card_gateway, finance, caplog
):
    from tests.backoffice.conftest import PAYMENTS, signed_in

    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="20")
    assert refund.pending_reason == UNANSWERED
    gateway_payments_reconcile(now=timezone.now() + timedelta(hours=22))  # key still kept
    assert len(card_gateway.requests) == 2
    card_gateway.unavailable = False  # it answers again, but 24 hours on: asking is a risk now
    with caplog.at_level("WARNING", logger="paydesk.checkout.refunds"):
        gateway_payments_reconcile(now=timezone.now() + timedelta(hours=25))
    assert len(card_gateway.requests) == 2
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.PENDING and refund.needs_attention
    assert refund.pending_reason == UNCONFIRMED
    assert refund_left(payment=payment) == Decimal("30.00")  # still held: it may be made
    assert f"Refund {refund.reference}: asked of Credit Card on" in caplog.text
    page = signed_in(finance).get(f"{PAYMENTS}{refund.pk}/change/").content.decode()
    assert (
        "Credit Card offers no way to look a refund up, so only its notification settles it. "
        "Check Credit Card&#x27;s dashboard for a refund of $20.00 USD of payment "
        f"{payment.reference} naming {refund.reference}"
    ) in page
    gateway_payments_reconcile(now=timezone.now() + timedelta(days=3))
    assert len(card_gateway.requests) == 2  # never again
