"""spec §5: a partially paid NOWPayments payment stays Pending, flagged for staff, who complete it
with the amount actually received or cancel it — through the back office as it is today
(Payments → Complete with a total, or Cancel with a reason). A late `finished` IPN afterwards
changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.ledger.models import PaymentStatus
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

    # The customer tops the payment up at NOWPayments later: it is already settled by staff.
    paid = SandboxObject.objects.get(gateway="nowpayments", kind="payment")
    paid = object_update(paid, payment_status="finished", actually_paid=paid.data["pay_amount"])
    _ipn_send(paid.data)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and balance(payment) == Decimal("6.00")
    late = PaymentLogEntry.objects.get(event_id=f"{paid.object_id}:finished")
    assert late.result == EventResult.IGNORED


def test_finance_cancels_a_partial_payment(sandbox, online_customer, finance_user):
    payment = _partially_paid(online_customer)
    finance = Client()
    sign_in(finance, finance_user)
    answer = finance.post(f"{PAYMENTS}{payment.pk}/cancel/", {"reason": "Refunded the BTC."})
    assert answer.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and balance(payment) == 0
    assert payment.cancel_reason == "Refunded the BTC."
