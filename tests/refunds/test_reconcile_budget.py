"""Reconciliation's time budget: a run starts no new question once PAYDESK_RECONCILE_RUN_SECONDS
are spent, so a slow gateway never keeps it past the job's lease (checkout/reconcile.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.refunds import payment_refund
from paydesk.ledger.models import PaymentStatus
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def test_a_reconciliation_run_starts_no_question_once_its_time_is_spent(
    card_gateway, finance, settings
):
    """A run stops asking once PAYDESK_RECONCILE_RUN_SECONDS are spent (here none), so a slow
    gateway never keeps it past the job's lease, where another worker's run would ask about the
    same refund at the same time; the next run asks."""
    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="5")
    card_gateway.unavailable = False
    later = timezone.now() + timedelta(hours=1)

    settings.PAYDESK_RECONCILE_RUN_SECONDS = 0
    assert gateway_payments_reconcile(now=later) == 0
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.PENDING and len(card_gateway.requests) == 1

    settings.PAYDESK_RECONCILE_RUN_SECONDS = 600
    assert gateway_payments_reconcile(now=later) == 1
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED and len(card_gateway.requests) == 2
