"""quality.md R5 under concurrency: 10 identical deliveries of one confirmation posted at once,
each on its own connection → one credit, every answer 2xx, no 5xx (every gateway on
PostgreSQL; Stripe's on SQLite, where IMMEDIATE transactions queue). The unique (gateway, event
id) of the payment log and the payment's row lock decide, in the transaction of the credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from tests.gateways.conftest import CHARGED, start_payment
from tests.gateways.senders import SENDERS
from tests.vouchers.conftest import run_at_once

DELIVERIES = 10


def _ten_identical_deliveries_at_once(sender):
    payment = start_payment(sender)
    delivery = sender.notify("completed", 4242, payment.reference, CHARGED, sender.currency)
    clients = [Client() for _ in range(DELIVERIES)]

    answers = run_at_once(
        DELIVERIES,
        lambda i: clients[i].post(
            f"/webhooks/{sender.name}/",
            data=delivery.body,
            content_type="application/json",
            headers=delivery.headers,
        ),
    )

    assert [getattr(a, "status_code", a) for a in answers] == [200] * DELIVERIES
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * (DELIVERIES - 1)
    entry = PaymentLogEntry.objects.get()
    assert entry.result == EventResult.APPLIED
    payment.refresh_from_db()
    payment.customer.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.customer.balance == Decimal(CHARGED)
    assert balance_drifts() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sender", SENDERS, ids=lambda s: s.name)
def test_10_identical_deliveries_at_once_credit_once_on_postgresql(sender):
    _ten_identical_deliveries_at_once(sender)


@pytest.mark.django_db(transaction=True)
def test_10_identical_deliveries_at_once_credit_once_on_sqlite_too():
    _ten_identical_deliveries_at_once(SENDERS[0])
