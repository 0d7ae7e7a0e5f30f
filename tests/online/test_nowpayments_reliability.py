"""quality.md R5 and R6 for NOWPayments through the sandbox over HTTP, and reconciliation.

R5: IPNs twice, late, out of order, never (the return or reconciliation settles it) → exactly
one credit; an amount or currency NOWPayments did not charge as quoted is refused; a `finished`
IPN is re-queried first, and a re-query that says `waiting` credits nothing.
R6: the API timing out, answering 500 or garbage during checkout or re-query → the payment stays
Pending with a visible reason and nothing is credited; reconciliation settles it afterwards.
Reconciliation: an invoice never paid (or a payment left `waiting`) past
PAYDESK_ABANDON_AFTER_MINUTES is cancelled as abandoned; money on its way or a partial payment
is not."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.models import EventResult, LogChannel, PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.sandbox.core import object_find, object_update
from paydesk.sandbox.models import SandboxObject, WebhookStatus
from paydesk.sandbox.nowpayments.common import _ipn_send
from paydesk.sandbox.nowpayments.hosted import _payment_start
from tests.online.nowpayments_steps import CHARGED, balance, come_back, press, shown, start

pytestmark = pytest.mark.django_db(transaction=True)

RECONCILE_LATER = timedelta(minutes=16)  # past PAYDESK_RECONCILE_AFTER_MINUTES (15)
ABANDON_LATER = timedelta(minutes=91)  # past PAYDESK_ABANDON_AFTER_MINUTES (90)


def _pending_payment(online_customer, **kwargs):
    user = online_customer("nowpayments")
    payment = start(user, **kwargs).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)
    return user, payment, invoice


def _credited_once(payment) -> None:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert balance(payment) == Decimal(CHARGED)
    applied = PaymentLogEntry.objects.filter(payment=payment, result=EventResult.APPLIED)
    assert applied.count() == 1
    assert balance_drifts() == []


def _nothing_credited(payment) -> None:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    assert not PaymentLogEntry.objects.filter(payment=payment, result=EventResult.APPLIED)


def _reconcile(later: timedelta) -> int:
    return gateway_payments_reconcile(now=timezone.now() + later)


# --- R5 ----------------------------------------------------------------------------------------


def test_every_ipn_twice_credits_once(sandbox, online_customer):
    sandbox.switch(webhooks="twice")
    user, payment, invoice = _pending_payment(online_customer)
    location = press(invoice.data["invoice_url"], "finished")

    hooks = sandbox.webhooks("nowpayments")
    assert [h.attempts for h in hooks] == [2, 2, 2]
    assert all(h.last_response.startswith("HTTP 200") for h in hooks)
    assert '"duplicate": true' in hooks[-1].last_response
    _credited_once(payment)
    come_back(user, location)
    _credited_once(payment)


def test_late_ipns_after_the_return_settled_it_credit_once(sandbox, online_customer):
    sandbox.switch(webhooks="late")
    user, payment, invoice = _pending_payment(online_customer)
    location = press(invoice.data["invoice_url"], "finished")
    _nothing_credited(payment)

    html = come_back(user, location)
    assert shown(html, "status") == "completed"
    _credited_once(payment)
    assert PaymentLogEntry.objects.get(payment=payment, result=EventResult.APPLIED).channel == (
        LogChannel.RETURN
    )

    assert sandbox.release("nowpayments") == 3
    assert all(h.status == WebhookStatus.SENT for h in sandbox.webhooks("nowpayments"))
    _credited_once(payment)


def test_out_of_order_ipns_credit_once(sandbox, online_customer):
    sandbox.switch(webhooks="out_of_order")
    user, payment, invoice = _pending_payment(online_customer)
    press(invoice.data["invoice_url"], "finished")
    hooks = sandbox.webhooks("nowpayments")
    assert [h.status for h in hooks] == [WebhookStatus.SENT, WebhookStatus.SENT, WebhookStatus.HELD]
    _nothing_credited(payment)

    assert sandbox.release("nowpayments") == 1
    _credited_once(payment)


def test_no_ipn_and_no_return_reconciliation_settles_it(sandbox, online_customer):
    sandbox.switch(webhooks="none")
    user, payment, invoice = _pending_payment(online_customer)
    location = press(invoice.data["invoice_url"], "finished")
    _nothing_credited(payment)

    assert _reconcile(RECONCILE_LATER) == 1
    _credited_once(payment)
    entry = PaymentLogEntry.objects.get(payment=payment, result=EventResult.APPLIED)
    assert entry.channel == LogChannel.RECONCILE and entry.event_id.startswith("query:")
    come_back(user, location)
    _credited_once(payment)


def test_a_finished_ipn_whose_requery_says_waiting_credits_nothing(sandbox, online_customer):
    sandbox.switch(webhooks="late")
    user, payment, invoice = _pending_payment(online_customer)
    press(invoice.data["invoice_url"], "finished")
    paid = SandboxObject.objects.get(gateway="nowpayments", kind="payment")
    object_update(paid, payment_status="waiting", actually_paid="0")

    sandbox.switch(webhooks="normal")
    assert sandbox.release("nowpayments") == 3
    finished = sandbox.webhooks("nowpayments")[-1]
    assert finished.event_type == "payment.finished"
    assert finished.last_response.startswith("HTTP 200")
    _nothing_credited(payment)
    requeried = PaymentLogEntry.objects.filter(
        payment=payment,
        channel=LogChannel.API,
        event_id=f"GET /sandbox/nowpayments/v1/payment/{paid.object_id}",
    )
    assert requeried.count() == 1
    assert not PaymentLogEntry.objects.filter(event_id=f"{paid.object_id}:finished").exists()

    object_update(paid, payment_status="finished", actually_paid=paid.data["pay_amount"])
    assert _reconcile(RECONCILE_LATER) == 1
    _credited_once(payment)


@pytest.mark.parametrize(
    ("change", "reported"),
    [({"price_amount": "9.99"}, "$9.99 USD"), ({"price_currency": "eur"}, "€10.00 EUR")],
    ids=["amount", "currency"],
)
def test_a_price_other_than_the_quote_is_refused(sandbox, online_customer, change, reported):
    user, payment, invoice = _pending_payment(online_customer)
    object_update(invoice, **change)  # NOWPayments charged something else than we asked
    location = press(invoice.data["invoice_url"], "finished")

    finished = sandbox.webhooks("nowpayments")[-1]
    assert '"refused"' in finished.last_response and "amount_mismatch" in finished.last_response
    come_back(user, location)
    _nothing_credited(payment)
    refused = PaymentLogEntry.objects.filter(payment=payment, result=EventResult.REFUSED)
    assert {e.detail for e in refused} == {
        f"Amount mismatch: expected $10.00 USD, gateway reported {reported}."
    }


# --- R6 ----------------------------------------------------------------------------------------

FAULTS = {
    "timeout": "NOWPayments did not answer within 2 s.",
    "error_500": "NOWPayments answered HTTP 500.",
    "garbage": "NOWPayments answered something that is not JSON.",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failing_api_during_checkout_leaves_it_pending_then_abandoned(
    sandbox, online_customer, fault
):
    sandbox.switch(fault=fault, only="nowpayments")
    user = online_customer("nowpayments")
    checkout = start(user)
    payment = checkout.payment
    assert checkout.problem == payment.pending_reason
    assert payment.pending_reason == (
        f"{FAULTS[fault]} Nothing is credited until NOWPayments confirms the payment; "
        "Paydesk will ask again."
    )
    assert payment.gateway_reference == ""
    _nothing_credited(payment)

    sandbox.switch()
    assert _reconcile(RECONCILE_LATER) == 0
    _nothing_credited(payment)
    assert payment.pending_reason.startswith("NOWPayments never answered with an invoice")
    assert _reconcile(ABANDON_LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and balance(payment) == 0
    assert payment.cancel_reason == "Abandoned: not paid at NOWPayments within 90 minutes."


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failing_api_during_requery_leaves_it_pending_then_reconciled(
    sandbox, online_customer, fault
):
    user, payment, invoice = _pending_payment(online_customer)
    sandbox.switch(fault=fault, only="nowpayments")
    location = press(invoice.data["invoice_url"], "finished")

    finished = sandbox.webhooks("nowpayments")[-1]
    assert finished.status == WebhookStatus.FAILED
    assert finished.last_response.startswith("HTTP 409") and "retry_later" in finished.last_response
    html = come_back(user, location)
    _nothing_credited(payment)
    reason = f"{FAULTS[fault]} Paydesk will ask again shortly; nothing is credited until then."
    assert payment.pending_reason == reason
    assert shown(html, "status") == "pending" and shown(html, "reason") == reason

    assert _reconcile(RECONCILE_LATER) == 0  # still failing: still pending, nothing credited
    _nothing_credited(payment)
    assert payment.pending_reason == f"{FAULTS[fault]} Reconciliation will ask again."
    sandbox.switch()
    assert _reconcile(RECONCILE_LATER) == 1
    _credited_once(payment)


# --- reconciliation ------------------------------------------------------------------------------


def test_an_invoice_never_paid_is_abandoned(sandbox, online_customer):
    user, payment, invoice = _pending_payment(online_customer)
    assert _reconcile(RECONCILE_LATER) == 0
    payment.refresh_from_db()
    # The customer reads it on their payment's page: it said "Waiting for the customer to pay…".
    assert payment.pending_reason == "Waiting for the NOWPayments invoice to be paid."
    assert _reconcile(ABANDON_LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and balance(payment) == 0
    assert payment.cancel_reason == "Abandoned: not paid at NOWPayments within 90 minutes."


def test_a_payment_left_waiting_is_abandoned(sandbox, online_customer):
    user, payment, invoice = _pending_payment(online_customer)
    _payment_start(invoice)  # the customer picked a coin and an address, then sent nothing
    assert _reconcile(ABANDON_LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason.startswith("Abandoned:")


def test_money_on_its_way_is_never_abandoned(sandbox, online_customer):
    user, payment, invoice = _pending_payment(online_customer)
    started = _payment_start(invoice)
    object_update(started, payment_status="confirming", actually_paid=started.data["pay_amount"])
    assert _reconcile(ABANDON_LATER) == 0
    _nothing_credited(payment)


def test_a_partial_payment_is_never_abandoned_and_stays_flagged(sandbox, online_customer):
    user, payment, invoice = _pending_payment(online_customer)
    press(invoice.data["invoice_url"], "partially_paid")
    assert _reconcile(ABANDON_LATER) == 0
    _nothing_credited(payment)
    assert payment.needs_attention
    assert payment.pending_reason == "Partially paid: 0.00010000 of 0.00016667 BTC received."


def test_an_expired_payment_nobody_reported_is_cancelled_by_reconciliation(
    sandbox, online_customer
):
    sandbox.switch(webhooks="none")
    user, payment, invoice = _pending_payment(online_customer)
    press(invoice.data["invoice_url"], "expired")
    assert _reconcile(RECONCILE_LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and balance(payment) == 0
    assert payment.cancel_reason == "NOWPayments payment expired."


def test_a_signed_finished_ipn_nowpayments_does_not_know_is_refused(sandbox, online_customer):
    """Signed with the right secret, but no such payment at NOWPayments (a replay from another
    account, a forged body with a leaked secret): the re-query disowns it; nothing credited."""
    user, payment, invoice = _pending_payment(online_customer)
    _ipn_send(
        {
            "payment_id": 5077125051,
            "invoice_id": int(invoice.object_id),
            "payment_status": "finished",
            "price_amount": "10",
            "price_currency": "usd",
            "pay_amount": "0.00016667",
            "actually_paid": "0.00016667",
            "pay_currency": "btc",
            "order_id": payment.reference,
            "order_description": "x",
            "outcome_amount": "0",
        }
    )
    hook = sandbox.webhooks("nowpayments")[-1]
    assert hook.last_response.startswith("HTTP 200") and '"refused"' in hook.last_response
    _nothing_credited(payment)
    refused = PaymentLogEntry.objects.get(event_id="unconfirmed:5077125051:finished")
    assert refused.result == EventResult.REFUSED and refused.signature_valid
    assert "PAYMENT_NOT_FOUND" in refused.detail
