"""Imports on PostgreSQL: the same file imported twice at the same moment adds its rows once
(the customer lock orders the two runs, the unique origin is the last guard), and 100 k rows for
one customer leave `check-balances` clean and the statement right before, across and after the
imported range."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from paydesk.errors import PaydeskError
from paydesk.imports.models import ImportedPayment
from paydesk.imports.services import import_plan, import_run
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts, payment_statement
from paydesk.ledger.services import payment_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
START = datetime(2020, 1, 1, tzinfo=UTC)


def big_file(count: int) -> tuple[str, list[Decimal]]:
    """`count` rows a minute apart: top-ups of 10.00 every 5th row, purchases otherwise."""
    lines = ["Date / Time,Total,Status,Description"]
    totals = []
    for n in range(count):
        total = Decimal("10.00") if n % 5 == 0 else Decimal("-1.37")
        totals.append(total)
        moment = (START + timedelta(minutes=n)).isoformat()
        lines.append(f"{moment},{total},Completed,Usage {n} – Zürich")
    return "\n".join(lines) + "\n", totals


def test_the_same_file_imported_twice_at_once_is_written_once(customer):
    text, totals = big_file(500)
    barrier = threading.Barrier(2)

    def importer(_n: int) -> str:
        try:
            plan = import_plan(text=text, file_format="connexcs", customer=customer.slug)
            barrier.wait()
            result = import_run(plan=plan)
            return f"imported {result.imported} skipped {result.skipped}"
        except PaydeskError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(importer, range(2)))

    assert outcomes == ["imported 0 skipped 500", "imported 500 skipped 0"]
    assert Payment.objects.filter(customer=customer).count() == 500
    customer.refresh_from_db()
    assert customer.balance == sum(totals)
    assert balance_drifts() == []


def test_two_runs_that_create_the_same_mapped_customer_create_it_once(db):
    from paydesk.accounts.models import Customer

    text, totals = big_file(300)
    mapping = "external_id,name,currency\n,Łódź Telecom,USD\n"
    barrier = threading.Barrier(2)

    def importer(_n: int) -> int:
        try:
            plan = import_plan(text=text, file_format="connexcs", customer_map=mapping)
            barrier.wait()
            return import_run(plan=plan).imported
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        imported = sorted(pool.map(importer, range(2)))

    assert imported == [0, 300]
    created = Customer.objects.get(name="Łódź Telecom")
    assert created.balance == sum(totals)
    assert Payment.objects.filter(customer=created).count() == 300


def test_the_database_refuses_a_second_payment_for_one_origin(customer):
    first = payment_create(customer=customer, total="1", description="One")
    second = payment_create(customer=customer, total="2", description="Two")
    ImportedPayment.objects.create(
        customer=customer, source="whmcs", origin_key="901", payment=first, line=2
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportedPayment.objects.create(
            customer=customer, source="whmcs", origin_key="901", payment=second, line=3
        )


def test_100k_rows_for_one_customer(customer, tmp_path):
    count = 100_000
    text, totals = big_file(count)
    path = tmp_path / "big.csv"
    path.write_text(text, encoding="utf-8")

    call_command(
        "import_payments",
        str(path),
        "--format",
        "connexcs",
        "--customer",
        customer.slug,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    customer.refresh_from_db()
    assert customer.balance == sum(totals)
    assert Payment.objects.filter(customer=customer).count() == count
    out = io.StringIO()
    call_command("check_balances", stdout=out)
    assert "All balances match the ledger." in out.getvalue()

    def balance_after(n: int) -> Decimal:  # after the n-th row (0-based)
        return sum(totals[: n + 1], Decimal(0))

    end = START + timedelta(minutes=count)
    periods = {
        "before": (START - timedelta(days=30), START, Decimal(0), Decimal(0)),
        "across the start": (
            START - timedelta(days=1),
            START + timedelta(minutes=1000),
            Decimal(0),
            balance_after(999),
        ),
        "inside": (
            START + timedelta(minutes=20_000),
            START + timedelta(minutes=50_000),
            balance_after(19_999),
            balance_after(49_999),
        ),
        "across the end": (
            START + timedelta(minutes=99_000),
            end + timedelta(days=1),
            balance_after(98_999),
            sum(totals),
        ),
        "after": (end + timedelta(days=1), end + timedelta(days=31), sum(totals), sum(totals)),
    }
    for name, (start, stop, opening, closing) in periods.items():
        statement = payment_statement(customer=customer, start=start, end=stop)
        assert (statement.opening, statement.closing) == (opening, closing), name

    # A live payment after the import keeps the chain true.
    live = payment_create(customer=customer, total="5", description="Live top-up")
    assert live.balance_after == sum(totals) + 5
    assert balance_drifts() == []


def test_history_written_by_copy_has_ascending_ids_and_running_balances(customer):
    """COPY writes ids drawn from the sequence: they ascend in entry order across batches
    (rows of the same second included), every balance_after is right, and a live payment
    afterwards takes an id above them all."""
    from paydesk.ledger.imports import BATCH, HistoryEntry, history_post

    opening = payment_create(customer=customer, total="7", description="Opening", at=START)
    count = 2 * BATCH + 3
    totals = [Decimal("2.50") if n % 3 else Decimal("-1.0001") for n in range(count)]
    entries = [
        HistoryEntry(
            occurred_at=START + timedelta(seconds=n // 2),  # two rows per second
            total=total,
            status="completed",
            description=f"Row {n}",
        )
        for n, total in enumerate(totals)
    ]
    ids = history_post(customer=customer, entries=iter(entries))

    assert len(ids) == count
    assert ids == sorted(ids) and len(set(ids)) == count and ids[0] > opening.pk
    rows = list(
        Payment.objects.filter(customer=customer, pk__in=ids)
        .order_by("occurred_at", "id")
        .values_list("id", "description", "balance_after")
    )
    running, expected = Decimal(7), []
    for pk, n, total in zip(ids, range(count), totals, strict=True):
        running += total
        expected.append((pk, f"Row {n}", running))
    assert rows == expected
    customer.refresh_from_db()
    assert customer.balance == running
    live = payment_create(customer=customer, total="1", description="Live")
    assert live.pk > ids[-1] and live.balance_after == running + 1
    assert balance_drifts() == []


def test_two_customers_imported_at_once_keep_their_own_order(db):
    """Two imports drawing ids from one sequence at the same time: each customer's ids still
    ascend in its own entry order, and both running balances hold."""
    from paydesk.accounts.services import customer_create
    from paydesk.ledger.imports import BATCH, HistoryEntry, history_post

    customers = [customer_create(name=f"Race {n}", currency="USD") for n in range(2)]
    count = 3 * BATCH
    barrier = threading.Barrier(2)

    def importer(n: int) -> list[int]:
        entries = (
            HistoryEntry(
                occurred_at=START + timedelta(seconds=k // 4),
                total=Decimal(n + 1),
                status="completed",
                description=f"Row {k}",
            )
            for k in range(count)
        )
        try:
            barrier.wait()
            return history_post(customer=customers[n], entries=entries)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(importer, range(2)))

    for n, (owner, ids) in enumerate(zip(customers, results, strict=True)):
        assert ids == sorted(ids) and len(ids) == count
        balances = list(
            Payment.objects.filter(customer=owner)
            .order_by("occurred_at", "id")
            .values_list("balance_after", flat=True)
        )
        assert balances == [Decimal((n + 1) * (k + 1)) for k in range(count)]
    assert not set(results[0]) & set(results[1])
    assert balance_drifts() == []
