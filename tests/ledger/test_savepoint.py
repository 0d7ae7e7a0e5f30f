"""payment_create inside a caller's transaction: its own savepoint answers a used idempotency
key with the existing payment; `savepoint=False` takes none and leaves the error to the caller
(the API's one-transaction requests, bench P5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create

pytestmark = pytest.mark.django_db


def _savepoints(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]


def test_a_used_key_returns_the_existing_payment_through_the_savepoint(customer):
    with transaction.atomic():
        first = payment_create(
            customer=customer, total="5", description="Top-up", idempotency_key="k"
        )
        with CaptureQueriesContext(connection) as queries:
            again = payment_create(
                customer=customer, total="5", description="Top-up", idempotency_key="k"
            )
        assert again.pk == first.pk
        assert len(_savepoints(queries)) == 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("5") and Payment.objects.count() == 1


def test_without_a_savepoint_a_used_key_breaks_the_callers_transaction(customer):
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            payment_create(
                customer=customer,
                total="5",
                description="Top-up",
                idempotency_key="k",
                savepoint=False,
            )
        assert _savepoints(queries) == []
    with pytest.raises(IntegrityError), transaction.atomic():
        payment_create(
            customer=customer, total="7", description="Top-up", idempotency_key="k", savepoint=False
        )
    customer.refresh_from_db()
    assert customer.balance == Decimal("5") and Payment.objects.count() == 1
