"""Razorpay end to end without a browser, over real HTTP: Make Payment's service creates the
order, the customer pays (or fails, or closes) on the sandbox's checkout, Razorpay's signed
webhooks and the customer's return settle the payment — exactly once — and only what Razorpay
itself confirms is credited: a forged checkout signature, or one made for another order, credits
nothing.

R5: webhooks twice, late, out of order, never; a mismatched amount. R6: timeout, 500 and garbage
at checkout and at re-query. Reconciliation: abandoned, in flight."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from paydesk.checkout.models import EventResult, LogDirection, PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.gateways.signing import hmac_hex
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.core import new_id, object_create
from paydesk.sandbox.models import SandboxObject
from tests.gateways.signing import razorpay_payment_signature
from tests.online.razorpay_support import (
    come_back,
    failure_fields,
    forged_signature,
    sandbox_checkout,
    start,
    success_fields,
)

pytestmark = pytest.mark.django_db(transaction=True)

LATER = timedelta(minutes=20)  # past PAYDESK_RECONCILE_AFTER_MINUTES
ABANDONED = timedelta(minutes=91)  # past PAYDESK_ABANDON_AFTER_MINUTES


def _balance(user) -> Decimal:
    user.customer.refresh_from_db()
    return user.customer.balance


def _credits(user) -> int:
    return Payment.objects.filter(customer=user.customer, status=PaymentStatus.COMPLETED).count()


@pytest.fixture
def payer(online_customer):
    return online_customer("razorpay", "INR", account="INR")


def _started(payer, amount: str = "500.00") -> Payment:
    checkout = start(payer, amount=amount)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING
    assert payment.gateway_reference.startswith("order_")
    assert checkout.redirect_url.endswith(f"/pay/razorpay/{payment.reference}/")
    return payment


def _status_page(payer, payment: Payment) -> str:
    browser = Client()
    browser.force_login(payer)
    return browser.get(f"/pay/status/{payment.reference}/").content.decode()


# --- the happy path ----------------------------------------------------------------------


def test_paid_confirmed_by_webhook_then_return_changes_nothing(sandbox, payer):
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    hooks = sandbox.webhooks("razorpay")
    assert [h.event_type for h in hooks] == ["payment.captured", "order.paid"]
    assert all(h.last_response.startswith("HTTP 200") for h in hooks), hooks
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.total == Decimal("500.00") and payment.balance_after == Decimal("500.00")
    assert payment.fee == Decimal("11.80")  # 2 % + 18 % GST on it, in paise → rupees
    payment = come_back(payer, payment, success_fields(result))
    assert payment.status == PaymentStatus.COMPLETED
    assert _balance(payer) == Decimal("500.00") and _credits(payer) == 1
    page = _status_page(payer, payment)
    assert 'data-status="completed"' in page and "₹500.00" in page


def test_paid_without_webhooks_the_return_confirms_with_razorpay(sandbox, payer):
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _balance(payer) == 0
    payment = come_back(payer, payment, success_fields(result))
    assert payment.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("500.00")
    entry = PaymentLogEntry.objects.get(
        gateway="razorpay", direction=LogDirection.RECEIVED, result=EventResult.APPLIED
    )
    assert entry.channel == "return" and entry.payment == payment
    assert entry.event_id == (f"return:{payment.gateway_reference}:{result['payment-id']}:captured")
    # The return asked Razorpay for the payment itself.
    assert PaymentLogEntry.objects.filter(
        direction=LogDirection.SENT,
        event_id=f"GET /sandbox/razorpay/v1/payments/{result['payment-id']}",
    ).exists()


# --- what the browser says is never trusted ------------------------------------------------


def test_a_forged_checkout_signature_credits_nothing(sandbox, payer):
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    fields = success_fields(result)
    fields["razorpay_signature"] = forged_signature(
        payment.gateway_reference, fields["razorpay_payment_id"]
    )
    payment = come_back(payer, payment, fields)
    assert payment.status == PaymentStatus.PENDING and _balance(payer) == 0
    assert "signature did not match" in payment.pending_reason
    refused = PaymentLogEntry.objects.get(payment=payment, result=EventResult.REFUSED)
    assert (refused.channel, refused.event_id) == ("return", f"return:{payment.reference}:refused")
    assert "signature did not match" in refused.detail
    # Nothing was asked of Razorpay about that payment on the forged word.
    assert not PaymentLogEntry.objects.filter(
        direction=LogDirection.SENT, event_id__contains="/v1/payments/"
    ).exists()
    # Razorpay really has the money: reconciliation asks it and credits once.
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("500.00")


def test_a_signature_made_for_another_order_is_refused(sandbox, payer):
    """The browser sends order B's genuine payment, order id and signature back for payment A:
    the signature is checked over A's stored order id, so it fails, and A stays unpaid."""
    sandbox.switch(webhooks="none")
    mine = _started(payer)
    other = _started(payer, amount="900.00")
    paid_other = success_fields(sandbox_checkout(other.gateway_reference))
    assert paid_other["razorpay_order_id"] == other.gateway_reference
    mine = come_back(payer, mine, paid_other)
    assert mine.status == PaymentStatus.PENDING
    assert "signature did not match" in mine.pending_reason
    assert _balance(payer) == 0 and _credits(payer) == 0
    # Reconciliation asks Razorpay about A's own order: never paid.
    gateway_payments_reconcile(now=timezone.now() + LATER)
    mine.refresh_from_db()
    assert mine.status == PaymentStatus.PENDING
    other.refresh_from_db()
    assert other.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("900.00")


def test_a_captured_payment_of_another_order_with_our_orders_signature_is_refused(sandbox, payer):
    """Even a correctly signed pair whose payment belongs elsewhere at Razorpay is refused."""
    sandbox.switch(webhooks="none")
    mine = _started(payer)
    other = _started(payer, amount="900.00")
    paid_other = success_fields(sandbox_checkout(other.gateway_reference))
    forged = {
        "razorpay_order_id": mine.gateway_reference,
        "razorpay_payment_id": paid_other["razorpay_payment_id"],
        "razorpay_signature": razorpay_payment_signature(
            order_id=mine.gateway_reference,
            payment_id=paid_other["razorpay_payment_id"],
            key_secret=settings.PAYDESK_RAZORPAY_KEY_SECRET,
        ),
    }
    mine = come_back(payer, mine, forged)
    assert mine.status == PaymentStatus.PENDING
    assert mine.pending_reason == "That Razorpay payment belongs to another order."
    assert _credits(payer) == 0


# --- failed, closed ------------------------------------------------------------------------


def test_a_failed_payment_is_cancelled_with_razorpays_reason(sandbox, payer):
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, "fail", reference=payment.reference)
    assert [h.event_type for h in sandbox.webhooks("razorpay")] == ["payment.failed"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Your payment was declined by the bank (Razorpay sandbox)."
    payment = come_back(payer, payment, failure_fields(result))
    assert payment.status == PaymentStatus.CANCELLED and _balance(payer) == 0
    page = _status_page(payer, payment)
    assert 'data-status="cancelled"' in page and "declined by the bank" in page


def test_a_failure_without_webhooks_is_read_from_razorpay_not_the_browser(sandbox, payer):
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    fields = failure_fields(
        sandbox_checkout(payment.gateway_reference, "fail", reference=payment.reference)
    )
    fields["error_description"] = "Whatever the browser says"
    payment = come_back(payer, payment, fields)
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Your payment was declined by the bank (Razorpay sandbox)."


def test_closing_the_checkout_without_paying_cancels(sandbox, payer):
    payment = _started(payer)
    payment = come_back(payer, payment, {"cancelled": "1"})
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "You closed the Razorpay checkout without paying."


def test_closing_after_paying_still_credits(sandbox, payer):
    """A `cancelled` post is a hint too: Razorpay says the order is paid, so it is."""
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    payment = come_back(payer, payment, {"cancelled": "1"})
    assert payment.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("500.00")


def test_coming_back_with_nothing_leaves_it_pending(sandbox, payer):
    payment = _started(payer)
    payment = come_back(payer, payment, {})
    assert payment.status == PaymentStatus.PENDING


# --- R5: webhooks twice, late, out of order, never; a wrong amount -------------------------


def test_webhooks_twice_credit_once(sandbox, payer):
    sandbox.switch(webhooks="twice")
    payment = _started(payer)
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    hooks = sandbox.webhooks("razorpay")
    assert [h.attempts for h in hooks] == [2, 2]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert _balance(payer) == Decimal("500.00") and _credits(payer) == 1
    assert "duplicate" in hooks[0].last_response or "ignored" in hooks[0].last_response


def test_late_webhooks_after_the_return_change_nothing(sandbox, payer):
    sandbox.switch(webhooks="late")
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    payment = come_back(payer, payment, success_fields(result))
    assert payment.status == PaymentStatus.COMPLETED
    assert sandbox.release("razorpay") == 2
    assert all(h.last_response.startswith("HTTP 200") for h in sandbox.webhooks("razorpay"))
    assert _balance(payer) == Decimal("500.00") and _credits(payer) == 1


def test_webhooks_out_of_order_credit_once(sandbox, payer):
    sandbox.switch(webhooks="out_of_order")
    payment = _started(payer)
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    captured, paid = sandbox.webhooks("razorpay")
    assert captured.attempts == paid.attempts == 1  # order.paid went first, then captured
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _credits(payer) == 1
    assert _balance(payer) == Decimal("500.00")


def test_no_webhooks_and_no_return_reconciliation_settles_it(sandbox, payer):
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    assert gateway_payments_reconcile(now=timezone.now()) == 0  # not due yet
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("500.00")
    assert (
        PaymentLogEntry.objects.filter(
            channel="reconcile", result=EventResult.APPLIED, payment=payment
        ).count()
        == 1
    )


def _signed_post(url: str, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()
    return httpx.post(
        f"{url}/webhooks/razorpay/",
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Razorpay-Signature": hmac_hex(
                secret=settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET, message=raw, digest="sha256"
            ),
            "X-Razorpay-Event-Id": new_id("evt_"),
        },
    )


def test_a_captured_webhook_for_another_amount_is_refused(sandbox, payer):
    payment = _started(payer)
    captured = {
        "entity": "event",
        "event": "payment.captured",
        "payload": {
            "payment": {
                "entity": {
                    "id": "pay_WrongAmount0001",
                    "entity": "payment",
                    "amount": 50001,
                    "currency": "INR",
                    "status": "captured",
                    "order_id": payment.gateway_reference,
                    "notes": {"paydesk_reference": payment.reference},
                    "fee": 0,
                }
            }
        },
    }
    response = _signed_post(sandbox.url, captured)
    assert response.status_code == 200 and response.json()["status"] == "refused"
    wrong_currency = json.loads(json.dumps(captured))
    wrong_currency["payload"]["payment"]["entity"].update(amount=50000, currency="USD")
    assert _signed_post(sandbox.url, wrong_currency).json()["status"] == "refused"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _balance(payer) == 0
    details = list(
        PaymentLogEntry.objects.filter(payment=payment, result=EventResult.REFUSED).values_list(
            "detail", flat=True
        )
    )
    assert any("Amount mismatch" in d and "₹500.01" in d for d in details), details


def test_a_webhook_signed_with_another_secret_is_refused(sandbox, payer):
    payment = _started(payer)
    raw = json.dumps({"event": "order.paid", "payload": {}}).encode()
    response = httpx.post(
        f"{sandbox.url}/webhooks/razorpay/",
        content=raw,
        headers={"X-Razorpay-Signature": hmac_hex(secret="nope", message=raw, digest="sha256")},
    )
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


# --- R6: no usable answer at checkout and at re-query --------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "error_500", "garbage"])
def test_no_answer_at_checkout_keeps_it_pending_then_reconciliation_settles(sandbox, payer, fault):
    sandbox.switch(fault=fault, only="razorpay")
    checkout = start(payer)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING and payment.gateway_reference == ""
    assert "Razorpay" in payment.pending_reason and "Nothing is credited" in payment.pending_reason
    assert checkout.redirect_url == ""
    assert _balance(payer) == 0
    # Still failing at re-query: still pending, with the reason, never abandoned blindly.
    gateway_payments_reconcile(now=timezone.now() + ABANDONED)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and "Razorpay" in payment.pending_reason
    sandbox.switch()
    # Razorpay never got the order: reconciliation finds none for the receipt and, past the
    # window, cancels it as abandoned.
    assert gateway_payments_reconcile(now=timezone.now() + ABANDONED) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Abandoned: not paid at Razorpay within 90 minutes."


def test_an_order_made_before_the_answer_was_lost_is_found_by_receipt(sandbox, payer):
    """The order was created but its answer never arrived (no gateway reference stored): the
    receipt lookup finds it at re-query, and its payment is credited."""
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    order_id = payment.gateway_reference
    Payment.objects.filter(pk=payment.pk).update(gateway_reference="")
    sandbox_checkout(order_id, reference=payment.reference)
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("500.00")


@pytest.mark.parametrize("fault", ["timeout", "error_500", "garbage"])
def test_no_answer_at_the_return_keeps_it_pending_then_reconciliation_settles(
    sandbox, payer, fault
):
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    sandbox.switch(webhooks="none", fault=fault, only="razorpay")
    payment = come_back(payer, payment, success_fields(result))
    assert payment.status == PaymentStatus.PENDING and _balance(payer) == 0
    assert payment.pending_reason.startswith("Razorpay ")
    assert "nothing is credited until then" in payment.pending_reason
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 0
    sandbox.switch(webhooks="none")
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(payer) == Decimal("500.00")
    assert _credits(payer) == 1


# --- reconciliation ----------------------------------------------------------------------


def test_an_abandoned_checkout_is_cancelled_after_the_window(sandbox, payer):
    payment = _started(payer)
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert gateway_payments_reconcile(now=timezone.now() + ABANDONED) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Abandoned: not paid at Razorpay within 90 minutes."
    assert _balance(payer) == 0


def test_a_payment_still_created_at_razorpay_is_in_flight_and_never_abandoned(sandbox, payer):
    """(An authorized one is captured: tests/online/test_late_outcomes.py.)"""
    payment = _started(payer)
    order = SandboxObject.objects.get(kind="order", object_id=payment.gateway_reference)
    object_create(
        "razorpay",
        "payment",
        "pay_Authorized00001",
        {
            "id": "pay_Authorized00001",
            "entity": "payment",
            "amount": 50000,
            "currency": "INR",
            "status": "created",
            "order_id": order.object_id,
            "created_at": 1,
        },
        lookup=order.object_id,
    )
    assert gateway_payments_reconcile(now=timezone.now() + ABANDONED) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == (
        "Razorpay holds the payment (created); waiting for its capture."
    )


def test_a_failed_payment_authorised_late_is_found_by_reconciliation_without_a_webhook(
    sandbox, payer
):
    """Razorpay's late authorisation with no webhook at all: the payment failed (cancelled here),
    then the bank authorised and Razorpay captured the same payment. Reconciliation's late watch
    asks about the cancelled payment and credits the money once, as a late payment."""
    sandbox.switch(webhooks="none")
    payment = _started(payer)
    result = sandbox_checkout(payment.gateway_reference, "fail", reference=payment.reference)
    payment = come_back(payer, payment, failure_fields(result))
    assert payment.status == PaymentStatus.CANCELLED
    captured = SandboxObject.objects.get(kind="payment", object_id=result["payment-id"])
    captured.data = {**captured.data, "status": "captured", "captured": True}
    captured.save()

    # The return asked Razorpay a moment ago: the late watch waits an hour before asking again.
    assert gateway_payments_reconcile(now=timezone.now() + LATER) == 0
    assert gateway_payments_reconcile(now=timezone.now() + timedelta(hours=2)) == 1

    late = Payment.objects.get(original=payment)
    assert (late.status, late.total, late.gateway_transaction) == (
        PaymentStatus.COMPLETED,
        Decimal("500.00"),
        result["payment-id"],
    )
    assert _balance(payer) == Decimal("500.00")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    # Asked again on later runs: the same Razorpay payment is never credited twice.
    assert gateway_payments_reconcile(now=timezone.now() + timedelta(hours=2)) == 0
    assert gateway_payments_reconcile(now=timezone.now() + timedelta(hours=4)) == 0
    assert Payment.objects.filter(original=payment).count() == 1
    assert _balance(payer) == Decimal("500.00")
