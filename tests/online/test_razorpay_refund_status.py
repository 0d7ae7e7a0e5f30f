"""A Razorpay refund answered `pending` whose refund.processed / refund.failed never arrived:
reconciliation asks Razorpay where it stands (`GET /v1/refunds/{id}` at the sandbox, through
the real client) and applies the answer — never asking for the refund again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.gateways.razorpay.refunds import FAILED_REASON
from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.razorpay_support import sandbox_checkout, start
from tests.online.refund_status_support import (
    balance,
    calls,
    cancelled_by_asking,
    completed_by_asking,
    pending_while_unanswered,
    refunded_unheard,
)
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(sandbox, online_customer, settings) -> Payment:
    settings.PAYDESK_GATEWAY_TIMEOUT = 20  # the sandbox sends the refund's webhooks first
    payer = online_customer("razorpay", "INR", account="INR")
    payment = start(payer, amount="500.00").payment
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    return payment


def pending_refund(paid: Payment, sandbox, switch: str) -> Payment:
    """300.00 refunded; Razorpay answers `pending`, and its later webhooks are lost."""
    answer = sandbox_staff().post("/sandbox/razorpay/dashboard/", {"action": switch, "armed": "1"})
    assert answer.status_code == 302
    return refunded_unheard(paid, sandbox, total="300.00", prefix="rfnd_")


def asked(refund: Payment) -> int:
    return calls("razorpay", "GET", f"/v1/refunds/{refund.gateway_transaction[7:]}")


def test_a_lost_webhook_is_found_by_asking_razorpay(paid, sandbox):
    refund = pending_refund(paid, sandbox, "slow_next_refund")
    completed_by_asking(refund, lambda: asked(refund))
    assert refund.total == Decimal("-300.00") and balance(paid) == Decimal("200.00")
    assert calls("razorpay", "POST", f"/v1/payments/{paid.gateway_transaction}/refund") == 1


def test_a_failed_refund_is_cancelled_and_its_hold_released(paid, sandbox):
    refund = pending_refund(paid, sandbox, "fail_next_refund")
    cancelled_by_asking(refund, paid, FAILED_REASON)


def test_razorpay_not_answering_leaves_it_pending(paid, sandbox, caplog):
    refund = pending_refund(paid, sandbox, "slow_next_refund")
    pending_while_unanswered(refund, paid, sandbox, caplog, left="200.00")
