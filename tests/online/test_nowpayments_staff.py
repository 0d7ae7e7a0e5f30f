"""spec §5: a partially paid NOWPayments payment stays Pending, flagged for staff, who complete it
with the amount actually received or cancel it — through the back office as it is today
(Payments → Complete with a total, or Cancel with a reason). A `finished` IPN afterwards (the
payer sent the rest) leaves the completed payment as it is and puts a pending late payment of
the difference on Finance's list."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.sandbox.core import object_find, object_update
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.nowpayments.common import _ipn_send
from tests.online.nowpayments_steps import balance, press, start
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PAYMENTS = "/backoffice/ledger/payment/"


def _partially_paid(online_customer):
    user = online_customer("nowpayments")
    payment = start(user).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)
    press(invoice.data["invoice_url"], "partially_paid")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.needs_attention
    return payment


def test_finance_completes_a_partial_payment_with_what_was_received(
    sandbox, online_customer, finance_user
):
    payment = _partially_paid(online_customer)
    finance = Client()
    sign_in(finance, finance_user)
    answer = finance.post(f"{PAYMENTS}{payment.pk}/complete/", {"total": "6.00"})
    assert answer.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.total == Decimal("6.00")
    assert balance(payment) == Decimal("6.00")

    # The customer sends the rest at NOWPayments later: the payment settled by staff stays as
    # it is; what arrived since waits for Finance as a late payment linked to it.
    paid = SandboxObject.objects.get(gateway="nowpayments", kind="payment")
    paid = object_update(paid, payment_status="finished", actually_paid=paid.data["pay_amount"])
    _ipn_send(paid.data)
    _ipn_send(paid.data)  # NOWPayments sends it again: nothing more
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and balance(payment) == Decimal("6.00")
    told = PaymentLogEntry.objects.get(event_id=f"{paid.object_id}:finished")
    assert told.result == EventResult.APPLIED
    (late,) = Payment.objects.filter(original=payment)
    assert (late.relation, late.status, late.needs_attention) == (
        PaymentRelation.LATE_PAYMENT,
        PaymentStatus.PENDING,
        True,
    )
    assert late.total == payment.expected_total - Decimal("6.00")
    assert late.gateway_transaction == str(paid.object_id)


def test_finance_cancels_a_partial_payment(sandbox, online_customer, finance_user):
    payment = _partially_paid(online_customer)
    finance = Client()
    sign_in(finance, finance_user)
    answer = finance.post(f"{PAYMENTS}{payment.pk}/cancel/", {"reason": "Refunded the BTC."})
    assert answer.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and balance(payment) == 0
    assert payment.cancel_reason == "Refunded the BTC."


def test_the_complete_form_shows_what_arrived_and_wants_the_amount(
    sandbox, online_customer, finance_user
):
    """The pending amount would credit what was asked for money that did not all arrive: the
    form shows what NOWPayments reported received and refuses an empty amount."""
    payment = _partially_paid(online_customer)
    paid = SandboxObject.objects.get(gateway="nowpayments", kind="payment")
    received = f"{paid.data['actually_paid']} {paid.data['pay_currency'].upper()}"
    payment.refresh_from_db()
    assert (payment.gateway_received_amount, payment.gateway_received_currency) == tuple(
        received.split(" ")
    )
    finance = Client()
    sign_in(finance, finance_user)
    form = finance.get(f"{PAYMENTS}{payment.pk}/complete/").content.decode()
    assert "Leave empty to complete with the pending amount" not in form
    assert f"The gateway reported {received} received." in form
    assert f"data-partly-received>{received}" in form
    refused = finance.post(f"{PAYMENTS}{payment.pk}/complete/", {"total": ""})
    assert refused.status_code == 200
    assert "Enter the amount received" in refused.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0


def test_a_completed_partial_payment_needs_no_more_attention_and_says_what_arrived(
    sandbox, online_customer, finance_user
):
    payment = _partially_paid(online_customer)
    finance = Client()
    sign_in(finance, finance_user)
    assert "?needs_attention__exact=1" in finance.get("/backoffice/").content.decode()
    listed = finance.get(PAYMENTS, {"needs_attention__exact": "1"}).content.decode()
    assert payment.reference in listed
    finance.post(f"{PAYMENTS}{payment.pk}/complete/", {"total": "6.00"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and not payment.needs_attention
    assert payment.expected_total == Decimal("10.00")

    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert "Yes: read the payment log below" not in page
    listed = finance.get(PAYMENTS, {"needs_attention__exact": "1"})
    assert payment not in listed.context["cl"].queryset

    customer = Client()
    customer.force_login(payment.customer.users.first())
    detail = customer.get(f"/payments/{payment.reference}/").content.decode()
    assert "Why it is pending" not in detail and "Partially paid" not in detail
    status = customer.get(f"/pay/status/{payment.reference}/").content.decode()
    assert "data-charged" not in status
    assert "data-received>$6.00 USD (expected $10.00 USD)" in status
    receipt = customer.get(f"/payments/{payment.reference}/receipt.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert "$6.00 USD (expected $10.00 USD)" in text
    assert "Amount charged" not in text and "Paid in full" not in text
