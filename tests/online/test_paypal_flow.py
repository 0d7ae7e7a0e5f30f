"""PayPal end to end without a browser, through the sandbox over real HTTP: Make Payment creates
the order, the buyer approves or cancels on PayPal's page, the return captures; webhooks arrive
signed by the sandbox's own certificate. Status, reason, balance and the payment log are checked
in the database after each story."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.checkout.models import PaymentLogEntry
from paydesk.ledger.models import Payment
from paydesk.sandbox.core import object_update
from paydesk.sandbox.models import SandboxWebhook
from tests.online.paypal_steps import (
    balance,
    cancel_in_paydesk,
    come_back,
    completed,
    order_of,
    path_of,
    press,
    reconcile,
    start,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(sandbox, online_customer):
    return online_customer("paypal", "USD")


def _webhook_answers(event_type: str) -> list[str]:
    return [
        hook.last_response
        for hook in SandboxWebhook.objects.filter(gateway="paypal", event_type=event_type)
    ]


def test_approved_then_back_is_captured_completed_and_credited_once(user):
    checkout = start(user, "25.00")
    payment = checkout.payment
    assert payment.status == "pending" and payment.gateway == "paypal"
    assert payment.gateway_reference and checkout.redirect_url.endswith(
        f"/sandbox/paypal/checkoutnow?token={payment.gateway_reference}"
    )
    order = order_of(payment).data
    unit = order["purchase_units"][0]
    assert unit["custom_id"] == unit["invoice_id"] == unit["reference_id"] == payment.reference
    assert unit["amount"] == {"currency_code": "USD", "value": "25.00"}
    assert order["_sandbox"]["return_url"].endswith(f"/pay/return/{payment.reference}/")
    assert order["_sandbox"]["cancel_url"].endswith(f"/pay/return/{payment.reference}/?cancelled=1")

    location = press(checkout, "approve")
    assert f"token={payment.gateway_reference}" in location and "PayerID=" in location
    payment = come_back(user, location)

    assert payment.status == "completed"
    assert balance(user) == Decimal("25.00")
    assert payment.fee == Decimal("1.36")  # the sandbox's 3.49% + 0.49 USD, from the capture
    assert len(completed(user)) == 1
    order = order_of(payment).data
    assert order["status"] == "COMPLETED" and order["_sandbox"]["captures_made"] == 1
    # The capture's webhook arrived during the capture and credited; the return's answer
    # found the payment completed already. Both are in the payment log.
    assert _webhook_answers("PAYMENT.CAPTURE.COMPLETED") == [
        'HTTP 200 {"status": "applied", "duplicate": false}'
    ]
    assert _webhook_answers("CHECKOUT.ORDER.APPROVED") == ['HTTP 200 {"status": "ignored"}']
    returned = PaymentLogEntry.objects.get(channel="return", payment=payment)
    assert returned.event_id == f"return:{payment.gateway_reference}:completed"
    assert returned.result == "ignored"


def test_cancelled_at_paypal_is_cancelled_with_the_reason_and_nothing_credited(user):
    checkout = start(user, "25.00")
    location = press(checkout, "cancel")
    assert "cancelled=1" in location and f"token={checkout.payment.gateway_reference}" in location
    payment = come_back(user, location)
    assert payment.status == "pending"  # the link alone cancels nothing
    payment = cancel_in_paydesk(user, payment)
    assert payment.status == "cancelled"
    assert payment.cancel_reason == "You cancelled the payment at PayPal."
    assert balance(user) == 0
    assert order_of(payment).data["status"] == "PAYER_ACTION_REQUIRED"  # never captured


def test_the_cancel_url_cannot_cancel_an_order_paypal_shows_approved(user):
    checkout = start(user, "25.00")
    press(checkout, "approve")
    # A forged or stale "cancelled" return: PayPal says approved, so it is captured instead.
    payment = come_back(user, f"/pay/return/{checkout.payment.reference}/?cancelled=1")
    assert payment.status == "completed" and balance(user) == Decimal("25.00")


def test_a_return_url_naming_another_order_is_ignored_for_ours(user, caplog):
    mine, theirs = start(user, "25.00"), start(user, "30.00")
    press(theirs, "approve")
    payment = come_back(
        user, f"/pay/return/{mine.payment.reference}/?token={theirs.payment.gateway_reference}"
    )
    assert payment.status == "pending"  # ours is not approved: nothing captured or credited
    assert order_of(theirs.payment).data["status"] == "APPROVED"
    assert "not the stored" in caplog.text
    assert balance(user) == 0


def test_a_declined_capture_is_cancelled_with_paypals_reason(user):
    checkout = start(user, "25.00")
    payment = come_back(user, press(checkout, "approve_decline"))
    assert payment.status == "cancelled"
    assert payment.cancel_reason.startswith("PayPal")
    assert "declin" in payment.cancel_reason or "denied" in payment.cancel_reason
    assert balance(user) == 0
    assert _webhook_answers("PAYMENT.CAPTURE.DENIED") == [
        'HTTP 200 {"status": "applied", "duplicate": false}'
    ]


def test_a_capture_held_pending_stays_pending_in_flight_and_is_never_abandoned(user):
    checkout = start(user, "25.00")
    payment = come_back(user, press(checkout, "approve_pending"))
    assert payment.status == "pending"
    assert "PayPal is holding the payment (PENDING_REVIEW)" in payment.pending_reason
    reconcile(minutes=24 * 60)
    payment.refresh_from_db()
    assert payment.status == "pending" and balance(user) == 0


def test_an_approved_order_whose_buyer_never_came_back_is_captured_by_reconciliation(user):
    checkout = start(user, "25.00")
    press(checkout, "approve")  # the browser closes here
    assert reconcile() == 1
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == "completed" and balance(user) == Decimal("25.00")
    assert order_of(payment).data["_sandbox"]["captures_made"] == 1


@pytest.mark.parametrize("first", ["return", "reconciliation"])
def test_the_capture_is_requested_once_when_the_return_and_reconciliation_both_run(
    user, sandbox, first
):
    sandbox.switch(webhooks="none")  # nothing but our own two questions settles it
    checkout = start(user, "25.00")
    location = press(checkout, "approve")
    if first == "return":
        come_back(user, location)
        reconcile()
    else:
        reconcile()
        come_back(user, location)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == "completed" and balance(user) == Decimal("25.00")
    assert order_of(payment).data["_sandbox"]["captures_made"] == 1
    captures = PaymentLogEntry.objects.filter(
        direction="sent",
        event_id=f"POST /sandbox/paypal/v2/checkout/orders/{payment.gateway_reference}/capture",
    )
    assert captures.count() == 1  # the second asker saw the order completed: no capture call
    assert captures.get().summary["idempotency_key"] == f"capture:{payment.gateway_reference}"


def test_a_capture_for_another_amount_than_the_quote_is_refused(user):
    checkout = start(user, "25.00")
    order = order_of(checkout.payment)
    # The pretend PayPal is made to capture less than was quoted (as a tampered order would).
    units = order.data["purchase_units"]
    units[0]["amount"] = {"currency_code": "USD", "value": "2.50"}
    object_update(order, purchase_units=units)
    payment = come_back(user, press(checkout, "approve"))
    assert payment.status == "pending" and balance(user) == 0
    refused = PaymentLogEntry.objects.filter(payment=payment, result="refused")
    assert refused.count() == 2  # the capture's webhook and the return's answer
    assert all("Amount mismatch" in entry.detail for entry in refused)
    assert "$25.00 USD" in refused.first().detail and "$2.50 USD" in refused.first().detail


def test_a_capture_in_another_currency_than_the_quote_is_refused(user):
    checkout = start(user, "25.00")
    order = order_of(checkout.payment)
    units = order.data["purchase_units"]
    units[0]["amount"] = {"currency_code": "EUR", "value": "25.00"}
    object_update(order, purchase_units=units)
    payment = come_back(user, press(checkout, "approve"))
    assert payment.status == "pending" and balance(user) == 0
    assert PaymentLogEntry.objects.filter(
        payment=payment, result="refused", detail__startswith="Amount mismatch"
    ).exists()


def test_the_status_page_shows_the_outcome_and_balance(user):
    checkout = start(user, "40.00")
    payment = come_back(user, press(checkout, "approve"))
    client = Client()
    client.force_login(user)
    page = client.get(f"/pay/status/{payment.reference}/").content.decode()
    assert 'data-status="completed"' in page and "$40.00 USD" in page


def test_a_double_click_on_approve_approves_once(user):
    checkout = start(user, "25.00")
    first = press(checkout, "approve")
    second = Client().post(path_of(checkout.redirect_url), {"action": "approve"})
    assert second.status_code == 200 and b'data-order-status="APPROVED"' in second.content
    assert SandboxWebhook.objects.filter(event_type="CHECKOUT.ORDER.APPROVED").count() == 1
    payment = come_back(user, first)
    assert payment.status == "completed" and balance(user) == Decimal("25.00")
