"""quality.md R5 and R6 for PayPal, through the sandbox: webhooks sent twice, late, out of order
or never → exactly one credit; the sandbox's API timing out, answering 500 or garbage during the
checkout or the re-query → the payment stays pending with a visible reason and nothing is
credited, until reconciliation settles it; a checkout never approved is cancelled as abandoned."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.services import checkout_return, payment_status_refresh
from paydesk.ledger.models import Payment
from paydesk.sandbox.models import SandboxWebhook, WebhookStatus
from tests.online.paypal_steps import (
    balance,
    come_back,
    completed,
    order_of,
    paypal_tokens_forget,
    press,
    reconcile,
    start,
)

pytestmark = pytest.mark.django_db(transaction=True)
FAULTS = ["timeout", "error_500", "garbage"]


@pytest.fixture
def user(sandbox, online_customer):
    return online_customer("paypal", "USD")


def _credited_once(user, payment: Payment, amount: str = "25.00") -> None:
    payment.refresh_from_db()
    assert payment.status == "completed"
    assert balance(user) == Decimal(amount)
    assert [p.pk for p in completed(user)] == [payment.pk]
    applied = PaymentLogEntry.objects.filter(payment=payment, result="applied")
    assert applied.count() == 1


# --- R5: webhooks ----------------------------------------------------------------------------


def test_every_webhook_twice_credits_once(user, sandbox):
    sandbox.switch(webhooks="twice")
    checkout = start(user)
    payment = come_back(user, press(checkout))
    _credited_once(user, payment)
    capture_hook = SandboxWebhook.objects.get(event_type="PAYMENT.CAPTURE.COMPLETED")
    assert capture_hook.attempts == 2
    assert '"duplicate": true' in capture_hook.last_response


def test_late_webhooks_after_the_return_settled_it_change_nothing(user, sandbox):
    sandbox.switch(webhooks="late")
    checkout = start(user)
    payment = come_back(user, press(checkout))
    _credited_once(user, payment)  # the return's capture did it; the webhooks are held
    assert sandbox.release("paypal") == 2
    _credited_once(user, payment)
    hook = SandboxWebhook.objects.get(event_type="PAYMENT.CAPTURE.COMPLETED")
    assert hook.status == WebhookStatus.SENT and '"status": "ignored"' in hook.last_response


def test_late_webhooks_whose_buyer_never_came_back_reconciliation_then_webhooks(user, sandbox):
    sandbox.switch(webhooks="late")
    checkout = start(user)
    press(checkout)  # never comes back
    assert reconcile() == 1
    _credited_once(user, checkout.payment)
    sandbox.release("paypal")
    _credited_once(user, checkout.payment)


def test_webhooks_out_of_order_credit_once(user, sandbox):
    sandbox.switch(webhooks="out_of_order")
    checkout = start(user)
    payment = come_back(user, press(checkout))
    _credited_once(user, payment)
    hooks = SandboxWebhook.objects.filter(gateway="paypal").order_by("id")
    assert [h.event_type for h in hooks] == ["CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED"]
    assert all(h.status == WebhookStatus.SENT for h in hooks)  # the capture's went first


def test_no_webhooks_at_all_the_return_settles_it(user, sandbox):
    sandbox.switch(webhooks="none")
    checkout = start(user)
    payment = come_back(user, press(checkout))
    _credited_once(user, payment)
    entry = PaymentLogEntry.objects.get(payment=payment, result="applied")
    assert entry.channel == "return"
    assert not PaymentLogEntry.objects.filter(payment=payment, channel="webhook").exists()


def test_no_webhooks_and_no_return_reconciliation_settles_it(user, sandbox):
    sandbox.switch(webhooks="none")
    checkout = start(user)
    press(checkout)
    assert reconcile() == 1
    _credited_once(user, checkout.payment)
    assert (
        PaymentLogEntry.objects.get(payment=checkout.payment, result="applied").channel
        == "reconcile"
    )


def test_the_capture_webhook_credits_first_and_the_late_return_adds_nothing(user, sandbox):
    # Reconciliation captures; PayPal's webhook (sent during the capture) credits before the
    # capture's own answer is applied; the buyer's return, much later, finds it completed.
    checkout = start(user)
    location = press(checkout)
    assert reconcile() == 1
    payment = come_back(user, location)
    _credited_once(user, payment)
    entry = PaymentLogEntry.objects.get(payment=payment, result="applied")
    assert entry.channel == "webhook" and entry.signature_valid is True


# --- R6: the gateway misbehaving -----------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_while_creating_the_order_keeps_it_pending_then_reconciliation_settles(
    user, sandbox, fault
):
    sandbox.switch(fault=fault, only="paypal")
    paypal_tokens_forget()  # the token request meets the fault too
    checkout = start(user)
    payment = checkout.payment
    assert payment.status == "pending" and payment.gateway_reference == ""
    assert payment.pending_reason.startswith("PayPal ")
    assert "Nothing is credited" in payment.pending_reason
    assert checkout.redirect_url == "" and balance(user) == 0

    sandbox.switch()
    assert reconcile(minutes=20) == 0  # not yet past the abandon window: still pending
    payment.refresh_from_db()
    assert payment.status == "pending" and "no order" in payment.pending_reason
    assert reconcile(minutes=91) == 1
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    assert payment.cancel_reason == "Abandoned: not paid at PayPal within 90 minutes."
    assert balance(user) == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_while_confirming_the_return_keeps_it_pending_then_reconciliation_settles(
    user, sandbox, fault
):
    checkout = start(user)
    location = press(checkout)
    sandbox.switch(fault=fault, only="paypal")
    payment = come_back(user, location)
    assert payment.status == "pending" and balance(user) == 0
    assert payment.pending_reason.startswith("PayPal ")
    assert "nothing is credited" in payment.pending_reason
    assert order_of(payment).data["status"] == "APPROVED"

    assert reconcile() == 0  # still failing: asked again, still pending with the reason
    payment.refresh_from_db()
    assert payment.status == "pending" and "Reconciliation will ask again" in payment.pending_reason

    sandbox.switch()
    assert reconcile() == 1
    _credited_once(user, payment)


def test_another_gateways_fault_does_not_touch_paypal(user, sandbox):
    sandbox.switch(fault="error_500", only="stripe")
    payment = come_back(user, press(start(user)))
    _credited_once(user, payment)


# --- reconciliation ------------------------------------------------------------------------


def test_a_checkout_never_approved_is_cancelled_as_abandoned(user):
    checkout = start(user)
    assert reconcile(minutes=20) == 0
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == "pending"
    assert checkout.payment.pending_reason == "Not approved at PayPal yet."
    assert reconcile(minutes=91) == 1
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == "cancelled"
    assert checkout.payment.cancel_reason == "Abandoned: not paid at PayPal within 90 minutes."
    assert balance(user) == 0


def test_an_order_paypal_has_never_heard_of_is_abandoned_not_credited(user):
    checkout = start(user)
    order_of(checkout.payment).delete()  # PayPal lost it (404 RESOURCE_NOT_FOUND)
    answer = payment_status_refresh(payment=checkout.payment)
    assert "INVALID_RESOURCE_ID" in answer.refused
    assert reconcile(minutes=91) == 1
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == "cancelled" and balance(user) == 0


@pytest.mark.postgres
def test_the_return_and_reconciliation_at_the_same_moment_capture_once(user, sandbox):
    sandbox.switch(webhooks="none")
    checkout = start(user)
    press(checkout)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    fresh = Payment.objects.get
    errors: list[BaseException] = []
    gate = threading.Barrier(2)

    def run(ask) -> None:
        try:
            gate.wait()
            ask()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    asks = [
        lambda: checkout_return(payment=fresh(pk=payment.pk), params={}),
        lambda: payment_status_refresh(payment=fresh(pk=payment.pk)),
    ]
    threads = [threading.Thread(target=run, args=(ask,)) for ask in asks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    _credited_once(user, payment)
    assert order_of(payment).data["_sandbox"]["captures_made"] == 1
