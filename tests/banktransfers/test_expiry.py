"""Transfers still pending after PAYDESK_TRANSFER_EXPIRY_DAYS are cancelled with that reason;
nothing else is touched."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from paydesk.banktransfers.services import transfer_complete, transfers_expire
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.banktransfers.conftest import transfer

pytestmark = pytest.mark.django_db


def _status(payment) -> str:
    return Payment.objects.get(pk=payment.pk).status


def test_only_old_pending_bank_transfers_expire(customer, finance_user, settings):
    settings.PAYDESK_TRANSFER_EXPIRY_DAYS = 14
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    now = timezone.now()
    old = transfer(customer, at=now - timedelta(days=15))
    recent = transfer(customer, at=now - timedelta(days=13))
    old_card = payment_create(
        customer=customer,
        total="30",
        description="Card",
        status="pending",
        method="card",
        at=now - timedelta(days=30),
    )
    # Money that arrived and waits for its second approval never expires.
    approved = transfer(customer, total="5000", at=now - timedelta(days=20))
    transfer_complete(
        payment=approved, actor=finance_user, received_amount="5000", received_currency="USD"
    )
    completed = transfer(customer, at=now - timedelta(days=20))
    transfer_complete(
        payment=completed, actor=finance_user, received_amount="250", received_currency="USD"
    )

    assert transfers_expire(now=now) == 1

    old.refresh_from_db()
    assert old.status == "cancelled"
    assert old.cancel_reason == "Expired: no transfer received within 14 days"
    assert old.cancelled_by is None
    assert _status(recent) == "pending"
    assert _status(old_card) == "pending"
    assert _status(approved) == "pending"
    assert _status(completed) == "completed"
    assert transfers_expire(now=now) == 0  # nothing left to do


def test_the_days_come_from_the_settings(customer, settings):
    settings.PAYDESK_TRANSFER_EXPIRY_DAYS = 3
    now = timezone.now()
    pending = transfer(customer, at=now - timedelta(days=4))
    assert transfers_expire(now=now) == 1
    pending.refresh_from_db()
    assert pending.cancel_reason == "Expired: no transfer received within 3 days"


def test_the_command_for_cron(customer, settings):
    settings.PAYDESK_TRANSFER_EXPIRY_DAYS = 14
    transfer(customer, at=timezone.now() - timedelta(days=40))
    out = StringIO()
    call_command("transfers_expire", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"expired": 1}
