"""The ledger's entry point for imported history: forward in time only, all or nothing even when
the refused entry comes after rows were already inserted, balances moved once and exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from paydesk.errors import PaydeskError
from paydesk.ledger.imports import BATCH, BackdatedEntry, HistoryEntry, history_post
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create

pytestmark = pytest.mark.django_db
START = datetime(2024, 6, 1, tzinfo=UTC)


def entry(minutes: int, total: str, status: str = "completed") -> HistoryEntry:
    return HistoryEntry(
        occurred_at=START + timedelta(minutes=minutes),
        total=Decimal(total),
        status=status,
        description=f"Row {minutes} #7 stays public",
    )


def test_a_backdated_entry_after_the_first_batch_writes_nothing(customer):
    entries = [entry(n, "1.25") for n in range(BATCH + 500)]
    entries.append(entry(10, "5"))  # before the rows just posted

    with pytest.raises(BackdatedEntry):
        history_post(customer=customer, entries=iter(entries))

    assert not Payment.objects.exists()
    customer.refresh_from_db()
    assert customer.balance == 0


def test_pending_and_cancelled_history_may_be_dated_anywhere(customer):
    payment_create(customer=customer, total="10", description="Live")
    ids = history_post(
        customer=customer,
        entries=[entry(0, "40", "pending"), entry(1, "15", "cancelled")],
    )
    rows = Payment.objects.filter(pk__in=ids).order_by("id")
    assert [(p.status, p.balance_after, p.description) for p in rows] == [
        ("pending", None, "Row 0 #7 stays public"),
        ("cancelled", None, "Row 1 #7 stays public"),
    ]
    assert rows[1].cancel_reason == "Cancelled before the import."
    customer.refresh_from_db()
    assert customer.balance == Decimal("10")


def test_a_row_the_ledger_would_not_store_is_refused(customer):
    with pytest.raises(PaydeskError, match="cannot be zero"):
        history_post(customer=customer, entries=[entry(0, "5"), entry(1, "0")])
    assert not Payment.objects.exists()


def test_running_balances_continue_from_the_stored_balance(customer):
    payment_create(customer=customer, total="100", description="Opening", at=START)
    ids = history_post(
        customer=customer, entries=[entry(5, "-30.5"), entry(5, "0.0125"), entry(9, "-70")]
    )
    got = [Payment.objects.get(pk=pk).balance_after for pk in ids]
    assert got == [Decimal("69.5"), Decimal("69.5125"), Decimal("-0.4875")]  # history may overdraw
    customer.refresh_from_db()
    assert customer.balance == Decimal("-0.4875")
    assert balance_drifts() == []


def test_an_origin_refused_in_a_later_batch_writes_nothing(customer):
    """The database's unique origin refusing a row of the second batch (by COPY on PostgreSQL,
    an INSERT elsewhere) rolls back the batch already written: no payment, no origin row, the
    balance untouched."""
    from django.db import IntegrityError

    from paydesk.imports.models import ImportedPayment
    from paydesk.imports.services import ORIGIN_COLUMNS
    from paydesk.ledger.fastpath import rows_insert

    count = BATCH + 10
    keys = [f"K{n}" for n in range(count)]
    keys[BATCH + 5] = "K3"  # the same origin as a row of the first batch
    given = iter(enumerate(keys))

    def posted(ids: list[int]) -> None:
        rows = [
            (customer.pk, "whmcs", key, pk, line + 2, START, None)
            for pk, (line, key) in zip(ids, given, strict=False)
        ]
        rows_insert(ImportedPayment, ORIGIN_COLUMNS, rows, ids=False)

    with pytest.raises(IntegrityError):
        history_post(
            customer=customer, entries=(entry(n, "1.25") for n in range(count)), posted=posted
        )

    assert not Payment.objects.exists()
    assert not ImportedPayment.objects.exists()
    customer.refresh_from_db()
    assert customer.balance == 0
