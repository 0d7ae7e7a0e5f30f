"""A PayPal refund answered PENDING whose end PayPal never told: reconciliation asks PayPal where
it stands (`GET /v2/payments/refunds/{id}` at the sandbox, through the real client) and applies
the answer — never asking for the refund again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.paypal_steps import come_back, press, start
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
def paid(sandbox, online_customer) -> Payment:
    user = online_customer("paypal", "USD")
    payment = come_back(user, press(start(user, "50.00"), "approve"))
    assert payment.status == PaymentStatus.COMPLETED
    return payment


def held_refund(paid: Payment, sandbox, then: str) -> Payment:
    """30.00 refunded; PayPal answers PENDING and its webhook, if any, is lost."""
    answer = sandbox_staff().post(
        "/sandbox/paypal/dashboard", {"action": f"hold_next_refund_{then}", "capture": ""}
    )
    assert answer.status_code == 302
    return refunded_unheard(paid, sandbox, total="30.00", prefix="")


def asked(refund: Payment) -> int:
    refund_id = refund.gateway_transaction.removeprefix("refund:")
    return calls("paypal", "GET", f"/v2/payments/refunds/{refund_id}")


def test_a_lost_webhook_is_found_by_asking_paypal(paid, sandbox):
    refund = held_refund(paid, sandbox, "completed")
    completed_by_asking(refund, lambda: asked(refund))
    assert refund.total == Decimal("-30.00") and balance(paid) == Decimal("20.00")
    assert calls("paypal", "POST", f"/v2/payments/captures/{paid.gateway_transaction}/refund") == 1


def test_a_failed_refund_is_cancelled_and_its_hold_released(paid, sandbox):
    refund = held_refund(paid, sandbox, "failed")
    cancelled_by_asking(refund, paid, "PayPal: refund failed.")


def test_paypal_not_answering_leaves_it_pending(paid, sandbox, caplog):
    refund = held_refund(paid, sandbox, "completed")
    pending_while_unanswered(refund, paid, sandbox, caplog, left="20.00")
