"""quality.md R6 for Paystack: the sandbox's Paystack API times out, answers 500 or answers
garbage during checkout (initialize) or during a re-query (verify, from the return or from
reconciliation) → the payment stays pending with a visible reason, nothing is credited; once
Paystack answers again, reconciliation settles it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.models import SandboxObject
from tests.online.paystack_support import balance, come_back, press, start

pytestmark = pytest.mark.django_db(transaction=True)

FAULTS = {
    "timeout": "Paystack did not answer within 2 s.",
    "error_500": "Paystack answered HTTP 500.",
    "garbage": "Paystack answered something that is not JSON.",
}


def _later(minutes: int) -> object:
    return timezone.now() + timedelta(minutes=minutes)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_during_checkout_keeps_it_pending_then_reconciliation_settles_it(
    sandbox, online_customer, settings, fault
):
    user = online_customer("paystack", "NGN")
    sandbox.switch(fault=fault, only="paystack")
    checkout = start(user)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING and checkout.redirect_url == ""
    assert payment.pending_reason.startswith(FAULTS[fault])
    assert "Nothing is credited until Paystack confirms the payment" in payment.pending_reason
    assert checkout.problem == payment.pending_reason
    assert not SandboxObject.objects.filter(gateway="paystack").exists()
    assert balance(user) == 0

    sandbox.switch()  # Paystack is back; it never got the transaction
    assert gateway_payments_reconcile(now=_later(20)) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    never = f"Paystack has no transaction with reference {payment.reference}."
    assert payment.pending_reason == never
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason.startswith("Abandoned: not paid at Paystack")
    assert balance(user) == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_during_requery_keeps_it_pending_then_reconciliation_settles_it(
    sandbox, online_customer, fault
):
    sandbox.switch(webhooks="none")
    user = online_customer("paystack", "NGN")
    checkout = start(user)
    location = press(checkout.redirect_url, "pay").headers["Location"]  # paid at Paystack
    sandbox.switch(webhooks="none", fault=fault, only="paystack")

    html = come_back(user, location).content.decode()  # the return's verify fails
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.PENDING and 'data-status="pending"' in html
    assert payment.pending_reason == (
        f"{FAULTS[fault]} Paydesk will ask again shortly; nothing is credited until then."
    )
    assert "data-reason" in html and FAULTS[fault] in html

    assert gateway_payments_reconcile(now=_later(20)) == 0  # reconciliation's verify fails too
    payment.refresh_from_db()
    assert payment.pending_reason == f"{FAULTS[fault]} Reconciliation will ask again."
    # Even past the abandon window, a gateway that does not answer never abandons a payment.
    assert gateway_payments_reconcile(now=_later(200)) == 0
    assert balance(user) == 0

    sandbox.switch(webhooks="none")
    assert gateway_payments_reconcile(now=_later(20)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert balance(user) == payment.total
