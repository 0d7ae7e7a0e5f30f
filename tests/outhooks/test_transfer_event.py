"""`transfer.awaiting_approval`: written with a bank transfer's first approval (two-person rule),
once, with what was received and the credit; the second approval makes payment.completed."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from paydesk.banktransfers.services import transfer_complete
from paydesk.outhooks.models import Event
from tests.banktransfers.conftest import transfer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_first_approval_writes_transfer_awaiting_approval(customer, finance_user, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")
    transfer_complete(
        payment=pending, actor=finance_user, received_amount="4990", received_currency="USD"
    )
    awaiting = Event.objects.get(type="transfer.awaiting_approval")
    data = json.loads(awaiting.data)
    assert data["reference"] == pending.reference and data["status"] == "pending"
    assert data["received"] == {"amount": "4990.00", "currency": "USD"}
    assert data["credit"] == {"amount": "4990.00", "currency": "USD"}
    transfer_complete(
        payment=pending,
        actor=StaffFactory(staff_role="finance"),
        received_amount="4990",
        received_currency="USD",
    )
    kinds = list(Event.objects.filter(payment=pending).values_list("type", flat=True))
    assert kinds == [
        "payment.created",
        "transfer.awaiting_approval",
        "payment.completed",
        "balance.changed",
    ]
