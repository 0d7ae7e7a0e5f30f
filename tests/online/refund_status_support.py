"""Helpers of the "a pending refund is asked about again" tests (one file per gateway):
reconciliation run an hour on, and the calls Paydesk made, read back from the payment log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.refunds import payment_refund
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refunds import refund_left
from tests.factories import StaffFactory


def reconcile(*, minutes: int = 60) -> None:
    """One run of the worker's reconciliation, `minutes` from now (due: past the delay)."""
    gateway_payments_reconcile(now=timezone.now() + timedelta(minutes=minutes))


def calls(gateway: str, method: str, path: str) -> int:
    """How many times Paydesk sent `method` `path` ("GET", "/v1/refunds/re_…") to `gateway`
    (the payment log names the URL's whole path: the sandbox's prefix included)."""
    sent = PaymentLogEntry.objects.filter(gateway=gateway, event_id__startswith=f"{method} /")
    return sent.filter(event_id__endswith=path).count()


def balance(payment: Payment) -> Decimal:
    payment.customer.refresh_from_db(fields=["balance"])
    return payment.customer.balance


def completed_by_asking(refund: Payment, asked: Callable[[], int]) -> None:
    """Reconciliation asks about `refund` once it is due (`asked()`: how many times it did),
    completes it from the answer, and asks no more once it is settled."""
    reconcile(minutes=0)  # not due yet
    assert asked() == 0
    reconcile()
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED
    assert asked() == 1
    reconcile()
    assert asked() == 1


def pending_while_unanswered(
    refund: Payment, paid: Payment, sandbox: Any, caplog: pytest.LogCaptureFixture, *, left: str
) -> None:
    """The gateway answers HTTP 500: the refund stays pending, `left` still refundable, a log
    line says why; once it answers again, the next run completes it."""
    sandbox.switch(webhooks="none", fault="error_500")
    reconcile()
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.PENDING
    assert refund_left(payment=paid) == Decimal(left)
    assert f"Refund {refund.reference}: the gateway gave no usable answer" in caplog.text
    sandbox.switch(webhooks="none")
    reconcile()
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED


def refunded_unheard(paid: Payment, sandbox: Any, *, total: str, prefix: str) -> Payment:
    """Finance refunds `total` of `paid` while the gateway's webhooks are lost: the refund the
    gateway answered pending (its id starting `prefix`), its amount held."""
    sandbox.switch(webhooks="none")
    refund = payment_refund(
        payment=paid, reason="Asked", actor=StaffFactory(staff_role="finance"), total=total
    )
    assert refund.status == PaymentStatus.PENDING
    assert refund.gateway_transaction.startswith(f"refund:{prefix}")
    assert refund_left(payment=paid) == paid.total - Decimal(total)
    return refund


def cancelled_by_asking(refund: Payment, paid: Payment, reason: str) -> None:
    """Reconciliation finds the refund declined: cancelled with the gateway's reason, its hold
    released (all of `paid` refundable again, the balance untouched)."""
    reconcile()
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.CANCELLED and refund.cancel_reason == reason
    assert refund_left(payment=paid) == paid.total and balance(paid) == paid.total
