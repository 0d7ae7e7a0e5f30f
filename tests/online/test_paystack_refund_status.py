"""A Paystack refund answered `pending` whose refund.processed / refund.failed never arrived:
reconciliation asks Paystack where it stands (`GET /refund/{id}` at the sandbox, through the
real client) and applies the answer — never asking for the refund again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.ledger.models import Payment, PaymentStatus
from tests.factories import StaffFactory
from tests.online.paystack_support import press, start
from tests.online.refund_status_support import (
    balance,
    calls,
    cancelled_by_asking,
    completed_by_asking,
    pending_while_unanswered,
    refunded_unheard,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(sandbox, online_customer, settings) -> Payment:
    settings.PAYDESK_GATEWAY_TIMEOUT = 15
    user = online_customer("paystack", "NGN", account="NGN")
    checkout = start(user, amount="5000")
    press(checkout.redirect_url, "pay")
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    return payment


def pending_refund(paid: Payment, sandbox, *, fails: bool = False) -> Payment:
    """3000 NGN refunded; Paystack answers `pending` (as always), and its webhook is lost."""
    if fails:
        staff = sign_in(Client(enforce_csrf_checks=True), StaffFactory(staff_role="support"))
        assert staff.get("/sandbox/").status_code == 200
        answer = staff.post(
            "/sandbox/paystack/dashboard",
            {
                "csrfmiddlewaretoken": staff.cookies["csrftoken"].value,
                "paystack_action": "refund_fails",
            },
        )
        assert answer.status_code == 302
    return refunded_unheard(paid, sandbox, total="3000.00", prefix="")


def asked(refund: Payment) -> int:
    return calls("paystack", "GET", f"/refund/{refund.gateway_transaction[7:]}")


def test_a_lost_webhook_is_found_by_asking_paystack(paid, sandbox):
    refund = pending_refund(paid, sandbox)
    completed_by_asking(refund, lambda: asked(refund))
    assert refund.total == Decimal("-3000.00") and balance(paid) == Decimal("2000.00")
    assert calls("paystack", "POST", "/refund") == 1


def test_a_failed_refund_is_cancelled_and_its_hold_released(paid, sandbox):
    refund = pending_refund(paid, sandbox, fails=True)
    cancelled_by_asking(refund, paid, "Paystack could not process the refund.")


def test_paystack_not_answering_leaves_it_pending(paid, sandbox, caplog):
    refund = pending_refund(paid, sandbox)
    pending_while_unanswered(refund, paid, sandbox, caplog, left="2000.00")


def test_a_refund_needing_attention_is_flagged_and_asked_about_less_and_less(paid, sandbox):
    """Paystack holds the refund `needs-attention` (it needs the customer's bank details):
    the refund is flagged for Finance and asked about at growing intervals — 15 minutes, then
    30, … — not on every run; once Paystack processes it, the next question completes it."""
    from paydesk.gateways.paystack.events import NEEDS_ATTENTION
    from paydesk.sandbox.core import object_get, object_update
    from tests.online.refund_status_support import reconcile

    refund = pending_refund(paid, sandbox)
    held = object_get("paystack", "refund", refund.gateway_transaction.removeprefix("refund:"))
    assert held is not None
    object_update(held, status="needs-attention", collect_account_number=True, refunded_at=None)
    reconcile(minutes=60)
    refund.refresh_from_db()
    assert (refund.status, refund.needs_attention) == (PaymentStatus.PENDING, True)
    assert refund.pending_reason == NEEDS_ATTENTION
    assert asked(refund) == 1
    for minutes, times in ((62, 1), (73, 1), (77, 2), (100, 2), (108, 3), (160, 3)):
        reconcile(minutes=minutes)
        assert asked(refund) == times, minutes
    refund.refresh_from_db()
    assert refund.needs_attention  # still flagged for Finance
    object_update(held, status="processed")
    reconcile(minutes=170)
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED and not refund.needs_attention
    assert asked(refund) == 4
    assert calls("paystack", "POST", "/refund") == 1
