"""Paystack end to end without a browser, over real HTTP against the sandbox: Pay → initialize →
the hosted checkout → back to /pay/return/<ref>/ → verify (by OUR reference) → the status page,
with the signed charge.success webhook doing its part. Status and balance as spec §5 says."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from paydesk.checkout.models import PaymentLogEntry, Quote
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.services import checkout_return
from paydesk.gateways.registry import gateway_is_configured
from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.paystack_support import (
    Tab,
    balance,
    come_back,
    press,
    received,
    start,
    transaction_of,
)
from tests.online.sandbox_support import cancel_in_paydesk

pytestmark = pytest.mark.django_db(transaction=True)


def test_paystack_is_registered_configured_and_offered(sandbox, online_customer):
    from paydesk.checkout.selectors import methods_available_for

    user = online_customer("paystack", "NGN")
    assert gateway_is_configured("paystack")
    assert "paystack" in [m.method for m in methods_available_for(customer=user.customer)]


def test_pay_success_completes_once_with_the_quoted_credit_and_paystacks_fee(
    sandbox, online_customer
):
    user = online_customer("paystack", "NGN", account="USD")
    checkout = start(user, amount="5000")
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING and payment.gateway == "paystack"
    quote = Quote.objects.get(payment=payment)
    txn = transaction_of(payment)
    # Initialize carried our reference, the charged total in kobo and the callback URL.
    assert txn.data["amount"] == int(quote.total_charged * 100) == 500000
    assert txn.data["currency"] == "NGN" and txn.data["status"] == "abandoned"
    assert txn.data["_callback_url"].endswith(f"/pay/return/{payment.reference}/")
    assert txn.data["metadata"] == {
        "paydesk_reference": payment.reference,
        "cancel_action": f"{sandbox.url}/pay/return/{payment.reference}/?cancelled=1",
    }
    assert payment.gateway_reference == txn.lookup  # the access code
    assert checkout.redirect_url == f"{sandbox.url}/sandbox/paystack/checkout/{txn.lookup}"

    answer = press(checkout.redirect_url, "pay")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location == (
        f"{sandbox.url}/pay/return/{payment.reference}/"
        f"?trxref={payment.reference}&reference={payment.reference}"
    )
    # The webhook was delivered while the customer was being redirected: already completed.
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    hook = sandbox.webhooks("paystack")[0]
    assert hook.event_type == "charge.success" and hook.last_response.startswith("HTTP 200")

    status_page = come_back(user, location)
    html = status_page.content.decode()
    assert 'data-status="completed"' in html
    payment.refresh_from_db()
    assert payment.total == quote.credit
    assert balance(user) == quote.credit  # credited once, whatever came first
    # Paystack's fee: 1.5 % of NGN 5,000 = NGN 75, recorded in USD at the quote's rate.
    assert (Decimal(75) * Decimal(payment.fx_rate)).quantize(Decimal("0.01")) == Decimal("0.05")
    assert payment.fee == Decimal("0.05")
    results = [(e.channel, e.result) for e in received(payment)]
    assert results == [("webhook", "applied")]  # the return found it final: nothing to ask


def test_pay_decline_cancels_with_paystacks_reason_and_credits_nothing(sandbox, online_customer):
    user = online_customer("paystack", "GHS", account="USD")
    checkout = start(user, amount="120.50", currency="GHS")
    answer = press(checkout.redirect_url, "decline")
    assert answer.status_code == 302
    assert sandbox.webhooks("paystack") == []  # Paystack sends no webhook for a failure
    html = come_back(user, answer.headers["Location"]).content.decode()
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Failed at Paystack: Declined"
    assert 'data-status="cancelled"' in html and "Failed at Paystack: Declined" in html
    assert balance(user) == 0


def test_cancel_on_the_hosted_page_cancels_as_abandoned_by_the_customer(sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    checkout = start(user)
    answer = press(checkout.redirect_url, "cancel")
    location = answer.headers["Location"]
    assert location.endswith(f"/pay/return/{checkout.payment.reference}/?cancelled=1")
    came_back = come_back(user, location).content.decode()
    assert "Not paid: you left Paystack before paying." in came_back
    assert Payment.objects.get(pk=checkout.payment.pk).status == PaymentStatus.PENDING
    payment = cancel_in_paydesk(user, checkout.payment)
    html = come_back(user, f"/pay/return/{payment.reference}/").content.decode()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Abandoned at Paystack: the customer cancelled the payment."
    assert 'data-status="cancelled"' in html
    assert transaction_of(payment).data["status"] == "abandoned"  # as Paystack keeps it
    assert balance(user) == 0


def test_returning_without_paying_keeps_it_pending_with_a_reason(sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    checkout = start(user)
    payment = checkout.payment
    html = come_back(user, f"{sandbox.url}/pay/return/{payment.reference}/").content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == "Not paid at Paystack yet."
    assert 'data-status="pending"' in html and checkout.redirect_url in html  # Continue to pay
    # …and the customer can still go back and pay.
    press(checkout.redirect_url, "pay")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED


def test_the_return_urls_reference_is_never_trusted(sandbox, online_customer):
    """A return naming another, paid transaction changes nothing: OUR reference is verified."""
    payer = online_customer("paystack", "NGN")
    paid = start(payer)
    press(paid.redirect_url, "pay")
    other = start(payer)
    checkout_return(
        payment=other.payment,
        params={"trxref": paid.payment.reference, "reference": paid.payment.reference},
    )
    other.payment.refresh_from_db()
    assert other.payment.status == PaymentStatus.PENDING
    assert balance(payer) == Payment.objects.get(pk=paid.payment.pk).total


def test_a_settled_checkout_page_cannot_be_paid_again(sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    checkout = start(user)
    stale = Tab(checkout.redirect_url)  # the same page open in a second tab
    press(checkout.redirect_url, "decline")
    page = httpx.get(checkout.redirect_url)
    assert 'data-status="failed"' in page.text and "Pay (success)" not in page.text
    again = stale.press("pay")
    assert again.status_code == 200 and "already closed" in again.text
    assert transaction_of(checkout.payment).data["status"] == "failed"
    assert sandbox.webhooks("paystack") == []


def test_abandoned_checkout_is_cancelled_by_reconciliation(sandbox, online_customer, settings):
    user = online_customer("paystack", "NGN")
    payment = start(user).payment
    # Before the abandon window: asked, still pending with Paystack's answer as the reason.
    assert gateway_payments_reconcile(now=timezone.now() + timedelta(minutes=20)) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == "Not paid at Paystack yet."
    later = timezone.now() + timedelta(minutes=settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)
    assert gateway_payments_reconcile(now=later) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Abandoned: not paid at Paystack within 90 minutes."
    assert PaymentLogEntry.objects.filter(
        payment=payment, event_id=f"reconcile:{payment.reference}:abandoned"
    ).exists()
    assert balance(user) == 0


def test_money_on_its_way_is_never_expired_as_abandoned(sandbox, online_customer, settings):
    user = online_customer("paystack", "NGN")
    payment = start(user).payment
    txn = transaction_of(payment)
    txn.data = {**txn.data, "status": "processing"}  # Paystack: a bank transfer being settled
    txn.save()
    later = timezone.now() + timedelta(minutes=settings.PAYDESK_ABANDON_AFTER_MINUTES + 60)
    assert gateway_payments_reconcile(now=later) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "processing" in payment.pending_reason


def test_reversed_at_paystack_cancels(sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    payment = start(user).payment
    txn = transaction_of(payment)
    txn.data = {**txn.data, "status": "reversed", "gateway_response": "Reversed"}
    txn.save()
    gateway_payments_reconcile(now=timezone.now() + timedelta(minutes=20))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Reversed at Paystack."


def test_no_secret_or_card_number_is_left_anywhere_after_paystack_flows(
    sandbox, online_customer, caplog
):
    """quality.md S5 over a success, a decline and a refused forged webhook: the database (the
    payment log, the sandbox's rows and webhooks included) and the logs hold no secret key and
    no card number."""
    from tests.security.secretscan import configured_secrets, database_texts, scan

    caplog.set_level("DEBUG")
    user = online_customer("paystack", "NGN")
    paid = start(user)
    come_back(user, press(paid.redirect_url, "pay").headers["Location"])
    declined = start(user)
    come_back(user, press(declined.redirect_url, "decline").headers["Location"])
    httpx.post(
        f"{sandbox.url}/webhooks/paystack/",
        content=b'{"event":"charge.success"}',
        headers={"x-paystack-signature": "00"},
    )
    secrets = configured_secrets()
    assert secrets["PAYDESK_PAYSTACK_SECRET_KEY"]
    texts = [*database_texts(), ("logs", caplog.text)]
    assert scan(texts, secrets=secrets) == []
