"""`balance.low`: written when a low-balance alert fires, in the posting's transaction, once per
crossing, with the balance, the available credit and the threshold."""

from __future__ import annotations

import json

import pytest

from paydesk.autotopup.alerts import alerts_set
from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Event
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db


def test_balance_low_once_per_crossing():
    customer = CustomerFactory(currency="USD")
    user = PortalUserFactory(customer=customer, can_manage_billing=True)
    payment_create(customer=customer, total="100", description="Top-up")
    alerts_set(customer=customer, actor=user, thresholds=["20"], margin="5")
    payment_create(customer=customer, total="-85", description="Usage")  # 15: fires
    payment_create(customer=customer, total="-1", description="Usage")  # 14: already fired
    low = list(Event.objects.filter(type="balance.low"))
    assert len(low) == 1
    assert json.loads(low[0].data) == {
        "customer_id": customer.pk,
        "balance": {"amount": "15.00", "currency": "USD"},
        "debit_limit": {"amount": "0.00", "currency": "USD"},
        "available_credit": {"amount": "15.00", "currency": "USD"},
        "threshold": {"amount": "20.00", "currency": "USD"},
    }
