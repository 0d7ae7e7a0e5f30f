"""Gateway events after the first answer, played by the sandbox as each gateway documents them
(issue 9), tried as a payer would: Razorpay's late authorisation and manual capture, a
NOWPayments invoice paid again after its payment expired, Paystack's customer-borne fees, and
PayPal's DECLINED capture. Every webhook switch the sandbox has (once, twice, late, out of order,
never) and reconciliation racing them credit exactly what was captured, once.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.services import payment_status_refresh
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from tests.online import nowpayments_steps, paypal_steps, paystack_support, razorpay_support
from tests.online.sandbox_support import sent_webhooks

pytestmark = pytest.mark.django_db(transaction=True)
LATER = timedelta(hours=2)  # past the late watch's hour since the last question
WEBHOOK_MODES = ["normal", "twice", "late", "out_of_order", "none"]


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def _settle_everything(sandbox, *payments: Payment) -> None:
    """Deliver whatever the sandbox held, let reconciliation ask (late watch included), and ask
    about each payment again: every channel that can tell Paydesk about the money has told it."""
    sandbox.release()
    gateway_payments_reconcile(now=timezone.now() + LATER)
    for payment in payments:
        payment.refresh_from_db()
        payment_status_refresh(payment=payment)
    sandbox.release()


def _only_credit(user, original: Payment, amount: str) -> Payment:
    """The one late payment made for `original`, completed for `amount`; the balance is that
    amount and nothing drifts."""
    original.refresh_from_db()
    assert original.status == PaymentStatus.CANCELLED
    late = Payment.objects.get(original=original)
    assert (late.status, late.relation, late.total) == (
        PaymentStatus.COMPLETED,
        PaymentRelation.LATE_PAYMENT,
        Decimal(amount),
    )
    assert (
        Payment.objects.filter(customer=user.customer, status=PaymentStatus.COMPLETED).count() == 1
    )
    assert _balance(user) == Decimal(amount)
    assert balance_drifts() == []
    return late


# --- Razorpay ---------------------------------------------------------------------------------


@pytest.fixture
def razorpay_payer(online_customer):
    return online_customer("razorpay", "INR", account="INR")


@pytest.mark.parametrize("webhooks", WEBHOOK_MODES)
def test_razorpay_late_authorisation_is_credited_once_as_a_late_payment(
    sandbox, razorpay_payer, webhooks
):
    """payment.failed cancels the payment; the bank authorises the same payment later and
    Razorpay captures it (payment.authorized, payment.captured, order.paid)."""
    sandbox.switch(webhooks=webhooks)
    sandbox.set_switch("razorpay_late_authorisation")
    payment = razorpay_support.start(razorpay_payer).payment
    result = razorpay_support.sandbox_checkout(
        payment.gateway_reference, "late", reference=payment.reference
    )
    payment = razorpay_support.come_back(
        razorpay_payer, payment, razorpay_support.failure_fields(result)
    )
    assert payment.status == PaymentStatus.CANCELLED and _balance(razorpay_payer) == 0

    assert razorpay_support.late_authorise() == [result["payment-id"]]
    _settle_everything(sandbox, payment)

    late = _only_credit(razorpay_payer, payment, "500.00")
    assert late.gateway_transaction == result["payment-id"]
    assert late.description == f"Late payment for {payment.reference}"


def test_razorpay_late_authorisation_with_manual_capture_is_captured_then_credited(
    sandbox, razorpay_payer
):
    """Auto-capture off: the late authorisation waits as `authorized`; Paydesk captures it
    through Razorpay's API and credits it once."""
    sandbox.set_switch("razorpay_late_authorisation")
    sandbox.set_switch("razorpay_manual_capture")
    payment = razorpay_support.start(razorpay_payer).payment
    result = razorpay_support.sandbox_checkout(
        payment.gateway_reference, "late", reference=payment.reference
    )
    razorpay_support.late_authorise()

    assert razorpay_support.payment_entity(result["payment-id"])["status"] == "captured"
    late = _only_credit(razorpay_payer, payment, "500.00")
    assert late.gateway_transaction == result["payment-id"]


@pytest.mark.parametrize("webhooks", ["normal", "twice", "none"])
def test_razorpay_with_auto_capture_off_is_captured_by_paydesk_and_credited_once(
    sandbox, razorpay_payer, webhooks
):
    sandbox.switch(webhooks=webhooks)
    sandbox.set_switch("razorpay_manual_capture")
    payment = razorpay_support.start(razorpay_payer).payment
    result = razorpay_support.sandbox_checkout(
        payment.gateway_reference, reference=payment.reference
    )
    payment = razorpay_support.come_back(
        razorpay_payer, payment, razorpay_support.success_fields(result)
    )
    _settle_everything(sandbox, payment)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.gateway_transaction == result["payment-id"]
    assert _balance(razorpay_payer) == Decimal("500.00")
    entity = razorpay_support.payment_entity(result["payment-id"])
    assert (entity["status"], entity["captured"]) == ("captured", True)
    captures = PaymentLogEntry.objects.filter(event_id__endswith="/capture", payment=payment)
    assert captures.exists()
    assert balance_drifts() == []


def test_an_authorized_payment_found_by_reconciliation_is_captured(sandbox, razorpay_payer):
    """No webhook, no return: reconciliation finds the authorized payment and captures it."""
    sandbox.switch(webhooks="none")
    sandbox.set_switch("razorpay_manual_capture")
    payment = razorpay_support.start(razorpay_payer).payment
    razorpay_support.sandbox_checkout(payment.gateway_reference, reference=payment.reference)

    assert gateway_payments_reconcile(now=timezone.now() + timedelta(minutes=20)) == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert _balance(razorpay_payer) == Decimal("500.00")


def test_the_double_credit_the_review_found_credits_once(sandbox, razorpay_payer):
    """Two ₹500 top-ups; only the first order is paid, with Checkout's notes naming the second
    payment. The webhook, the return and reconciliation credit ₹500, to the first."""
    first = razorpay_support.start(razorpay_payer, key="double-credit-form-0001").payment
    second = razorpay_support.start(razorpay_payer, key="double-credit-form-0002").payment
    result = razorpay_support.sandbox_checkout(
        first.gateway_reference, reference=first.reference, notes_reference=second.reference
    )
    assert razorpay_support.payment_entity(result["payment-id"])["notes"] == {
        "paydesk_reference": second.reference
    }
    razorpay_support.come_back(razorpay_payer, first, razorpay_support.success_fields(result))
    _settle_everything(sandbox, first, second)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PaymentStatus.COMPLETED
    # Never paid: abandoned by reconciliation two hours on, and nothing was credited for it.
    assert second.status == PaymentStatus.CANCELLED and not second.follow_ups.exists()
    assert _balance(razorpay_payer) == Decimal("500.00")
    assert balance_drifts() == []


# --- NOWPayments ------------------------------------------------------------------------------


@pytest.mark.parametrize("webhooks", ["normal", "twice", "out_of_order", "none"])
def test_nowpayments_invoice_paid_again_after_expiry_is_credited_once(
    sandbox, online_customer, webhooks
):
    sandbox.switch(webhooks=webhooks)
    sandbox.set_switch("nowpayments_repay_after_expiry")
    user = online_customer("nowpayments", "USD")
    checkout = nowpayments_steps.start(user)
    expired, paid_again = nowpayments_steps.expire_then_pay_again(checkout.redirect_url)
    nowpayments_steps.come_back(user, expired)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    if webhooks != "none":  # the first payment's `expired` IPN cancelled it
        assert payment.status == PaymentStatus.CANCELLED
    nowpayments_steps.come_back(user, paid_again)
    _settle_everything(sandbox, payment)

    payment.refresh_from_db()
    if webhooks != "none":
        assert payment.status == PaymentStatus.CANCELLED
    if payment.status == PaymentStatus.COMPLETED:
        # Never told of the expiry (no webhooks): the return found the finished payment first.
        assert not Payment.objects.filter(original=payment).exists()
        assert _balance(user) == payment.total
    else:
        late = _only_credit(user, payment, str(payment.total))
        invoice_payments = nowpayments_steps.api_invoice_payments(payment.gateway_reference)
        finished = [p for p in invoice_payments if p["payment_status"] == "finished"]
        assert [str(p["payment_id"]) for p in finished] == [late.gateway_transaction]
    assert balance_drifts() == []


# --- Paystack ---------------------------------------------------------------------------------


@pytest.mark.parametrize("webhooks", ["normal", "none"])
def test_paystack_customer_borne_fees_credit_the_quote_and_record_no_fee(
    sandbox, online_customer, webhooks
):
    sandbox.switch(webhooks=webhooks)
    sandbox.set_switch("paystack_customer_fees")
    user = online_customer("paystack", "NGN", account="NGN")
    checkout = paystack_support.start(user)
    location = paystack_support.press(checkout.redirect_url, "pay").headers["Location"]
    paystack_support.come_back(user, location)

    transaction = paystack_support.verify(checkout.payment.reference)
    assert transaction["amount"] == transaction["requested_amount"] + transaction["fees"]
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.total == Decimal("5000.00") and _balance(user) == Decimal("5000.00")
    assert payment.fee is None  # the customer paid Paystack's fee on top
    refused = PaymentLogEntry.objects.filter(payment=payment, result=EventResult.REFUSED)
    assert not refused.exists()


# --- PayPal -----------------------------------------------------------------------------------


def test_paypal_declined_capture_is_cancelled_with_a_declined_reason(sandbox, online_customer):
    sandbox.set_switch("paypal_declined_event")
    user = online_customer("paypal", "USD")
    checkout = paypal_steps.start(user)
    payment = paypal_steps.come_back(user, paypal_steps.approve_and_decline(checkout))

    assert payment.status == PaymentStatus.CANCELLED and paypal_steps.balance(user) == 0
    assert "declined" in payment.cancel_reason.lower()
    assert [h.event_type for h in sent_webhooks("paypal")] == [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.DECLINED",
    ]
    assert balance_drifts() == []
