"""NOWPayments end to end through the sandbox, without a browser: Make Payment's services start
the checkout (a real invoice at the sandbox's API), the hosted page's buttons pay, pay part or let
the payment expire, the sandbox sends its signed IPNs in NOWPayments' order, and the customer
comes back to /pay/return/<ref>/. Status and balance are read from the database and from the
status page the customer sees (spec §5)."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, LogChannel, PaymentLogEntry
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.core import object_find
from paydesk.sandbox.models import WebhookStatus
from tests.online.nowpayments_steps import CHARGED, balance, come_back, press, shown, start

pytestmark = pytest.mark.django_db(transaction=True)


def test_finished_completes_and_credits_once(sandbox, online_customer):
    user = online_customer("nowpayments")
    checkout = start(user)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING and payment.gateway == "nowpayments"
    invoice = object_find("nowpayments", "invoice", payment.reference)
    assert payment.gateway_reference == invoice.object_id
    assert checkout.quote.gateway_url == invoice.data["invoice_url"]

    location = press(invoice.data["invoice_url"], "finished")
    assert location.startswith(f"{sandbox.url}/pay/return/{payment.reference}/?NP_id=")

    hooks = sandbox.webhooks("nowpayments")
    assert [h.event_type for h in hooks] == [
        "payment.waiting",
        "payment.confirming",
        "payment.finished",
    ]
    assert all(h.status == WebhookStatus.SENT for h in hooks), [h.last_response for h in hooks]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert balance(payment) == Decimal(CHARGED)

    html = come_back(user, location)
    assert shown(html, "status") == "completed"
    assert shown(html, "balance") == "$10.00 USD"
    payment.refresh_from_db()
    assert balance(payment) == Decimal(CHARGED)
    applied = PaymentLogEntry.objects.filter(payment=payment, result=EventResult.APPLIED)
    assert [(e.channel, e.event_id.split(":")[-1]) for e in applied] == [
        (LogChannel.WEBHOOK, "finished")
    ]
    # The finished IPN was re-queried before it credited.
    requery = PaymentLogEntry.objects.filter(
        payment=payment,
        channel=LogChannel.API,
        event_id__startswith="GET /sandbox/nowpayments/v1/payment/",
    )
    assert requery.exists()


def test_partially_paid_stays_pending_flagged_for_staff(sandbox, online_customer):
    user = online_customer("nowpayments")
    payment = start(user).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)

    location = press(invoice.data["invoice_url"], "partially_paid")
    html = come_back(user, location)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    assert payment.needs_attention is True
    assert payment.pending_reason == "Partially paid: 0.00010000 of 0.00016667 BTC received."
    assert shown(html, "status") == "pending"
    assert shown(html, "reason") == payment.pending_reason
    assert shown(html, "balance") == "$0.00 USD"
    assert [h.event_type for h in sandbox.webhooks("nowpayments")] == [
        "payment.waiting",
        "payment.confirming",
        "payment.partially_paid",
    ]


def test_expired_cancels_with_the_reason(sandbox, online_customer):
    user = online_customer("nowpayments")
    payment = start(user).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)

    location = press(invoice.data["invoice_url"], "expired")
    assert location == f"{sandbox.url}/pay/return/{payment.reference}/?cancelled=1"
    html = come_back(user, location)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and balance(payment) == 0
    assert payment.cancel_reason == "NOWPayments payment expired."
    assert shown(html, "status") == "cancelled"
    assert shown(html, "reason") == "NOWPayments payment expired."


def test_back_to_shop_without_paying_stays_pending_with_a_reason(sandbox, online_customer):
    user = online_customer("nowpayments")
    payment = start(user).payment
    html = come_back(user, f"{sandbox.url}/pay/return/{payment.reference}/?cancelled=1")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    assert "Not paid: you left NOWPayments before paying." in html and "data-cancel" in html
    assert "Continue to pay" in html  # back to the invoice, still open
    # Cancel pressed: NOWPayments keeps the invoice open, so it stays pending, saying so.
    browser = Client()
    browser.force_login(user)
    browser.post(f"/pay/return/{payment.reference}/", {"cancelled": "1"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    assert payment.pending_reason.startswith("You left NOWPayments before paying.")
    html = browser.get(f"/pay/status/{payment.reference}/").content.decode()
    assert shown(html, "reason") == payment.pending_reason


def test_a_forged_return_url_credits_nothing(sandbox, online_customer):
    """NP_id is only a hint: a payment of another order (here, another customer's finished one)
    is not this payment's, and an unpaid invoice stays pending."""
    other = online_customer("nowpayments")
    paid = start(other, key="nowpayments-form-other").payment
    invoice = object_find("nowpayments", "invoice", paid.reference)
    location = press(invoice.data["invoice_url"], "finished")
    np_id = location.rsplit("NP_id=", 1)[1]

    user = online_customer("nowpayments")
    payment = start(user).payment
    come_back(user, f"{sandbox.url}/pay/return/{payment.reference}/?NP_id={np_id}")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0


def test_make_payment_sends_the_customer_to_the_invoice_page(sandbox, online_customer):
    """The browser tests' path without the browser: Make Payment's form → Pay → a redirect to
    NOWPayments' invoice_url; the hosted page shows the price; Pay in full; back to Paydesk."""
    user = online_customer("nowpayments")
    browser = Client()
    browser.force_login(user)
    form = browser.get("/pay/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    answer = browser.post(
        "/pay/",
        {
            "form_token": token,
            "method": "nowpayments",
            "nowpayments-amount": "10",
            "nowpayments-currency": "USD",
            "action": "pay",
        },
    )
    payment = Payment.objects.get(customer=user.customer)
    invoice = object_find("nowpayments", "invoice", payment.reference)
    assert answer.status_code == 302 and answer["Location"] == invoice.data["invoice_url"]
    url = httpx.URL(answer["Location"])
    hosted = Client().get(url.path, dict(url.params)).content.decode()
    assert "$10.00 USD" in hosted and "0.00016667 BTC" in hosted
    assert "Pay in full (finished)" in hosted and "Back to shop" in hosted

    html = come_back(user, press(answer["Location"], "finished"))
    assert shown(html, "status") == "completed" and shown(html, "balance") == "$10.00 USD"
