"""Helpers for the reliability tests: run work on real, separate database connections at once,
and read the ledger back the way an auditor would.

Each worker thread gets its own Django connection (Django's connections are per thread), opens
it before the start line, waits at a barrier so that every worker is connected at the same time,
then runs its work. Every connection is closed when the thread ends, so a test database can be
flushed and dropped afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, connections
from django.db.models import Sum

from paydesk.accounts.models import Customer
from paydesk.ledger.models import Payment, PaymentStatus


@dataclass
class WorkerResult:
    index: int
    connection_id: int = 0
    raw_connection: Any = None  # kept alive so that no two connections can share an id()
    backend_pid: int | None = None
    value: Any = None
    error: BaseException | None = None
    outcomes: list[Any] = field(default_factory=list)


def run_workers(
    count: int, work: Callable[[int, threading.Barrier], Any], *, timeout: float = 180
) -> list[WorkerResult]:
    """Run `work(index, barrier)` on `count` threads, each on its own database connection.

    Each worker is connected before it calls `work`; `barrier` (count parties) lets the work
    line all workers up again right before a contested step. Returns one result per worker;
    an exception escaping `work` is stored in `error`, never swallowed silently.
    """
    results = [WorkerResult(index=i) for i in range(count)]
    start = threading.Barrier(count, timeout=timeout)
    step = threading.Barrier(count, timeout=timeout)

    def target(i: int) -> None:
        result = results[i]
        try:
            connection.ensure_connection()
            result.raw_connection = connection.connection
            result.connection_id = id(connection.connection)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    result.backend_pid = cursor.fetchone()[0]
            start.wait()
            result.value = work(i, step)
        except BaseException as exc:  # noqa: BLE001 - reported by the test, never swallowed
            result.error = exc
            step.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,), name=f"worker-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), f"{thread.name} still running after {timeout} s"
    return results


def assert_separate_connections(results: list[WorkerResult]) -> None:
    """Every worker used its own connection, none of them the test's own."""
    ids = {r.connection_id for r in results}
    assert 0 not in ids
    assert len(ids) == len(results), "workers shared a database connection"
    if connection.vendor == "postgresql":
        pids = {r.backend_pid for r in results}
        assert len(pids) == len(results), "workers shared a PostgreSQL backend"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] not in pids
    else:
        name = connection.settings_dict["NAME"]
        assert "memory" not in str(name), "SQLite in memory: threads would not share a database"
        assert connection.connection is None or id(connection.connection) not in ids


def raise_worker_errors(results: list[WorkerResult]) -> None:
    errors = [r.error for r in results if r.error is not None]
    if errors:
        raise AssertionError(f"{len(errors)} worker(s) failed: {errors!r}") from errors[0]


def completed_sum(customer_id: int) -> Decimal:
    """Σ total of the customer's completed payments, by SQL SUM over the stored integers."""
    total = Payment.objects.filter(
        customer_id=customer_id, status=PaymentStatus.COMPLETED
    ).aggregate(s=Sum("total"))["s"]
    return Decimal(0) if total is None else total


def assert_balance_after_chain(customer_id: int, *, opening: Decimal = Decimal(0)) -> list[Decimal]:
    """Completed payments in completion order: each `balance after` = the previous + its total.

    Returns the chain (the balance right after every commit that moved it).
    """
    rows = list(
        Payment.objects.filter(customer_id=customer_id, status=PaymentStatus.COMPLETED)
        .order_by("completed_at", "id")
        .values_list("reference", "total", "balance_after")
    )
    running = opening
    chain = []
    for reference, total, balance_after in rows:
        running += total
        assert balance_after == running, (
            f"{reference}: balance after {balance_after}, expected {running} "
            f"(previous {running - total} + total {total}) in completion order"
        )
        chain.append(balance_after)
    return chain


class Auditor(threading.Thread):
    """Watches one customer while workers post: the invariants at every snapshot it sees.

    Each sample is ONE SQL statement, so it reads one consistent snapshot of committed data
    (PostgreSQL: per statement under READ COMMITTED; SQLite WAL: per read). It records every
    sample where the stored balance differs from the SUM of completed payments, or where the
    balance is below −debit limit. Use as a context manager around the load.
    """

    def __init__(self, customer_id: int) -> None:
        super().__init__(name="auditor", daemon=True)
        self.customer_id = customer_id
        self.samples = 0
        self.violations: list[str] = []
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        customers = Customer._meta.db_table
        payments = Payment._meta.db_table
        sql = (
            f"SELECT c.balance, c.debit_limit, (SELECT COALESCE(SUM(p.total), 0) FROM {payments} p"
            f" WHERE p.customer_id = c.id AND p.status = 'completed') FROM {customers} c"
            " WHERE c.id = %s"
        )
        try:
            while not self._stop_event.wait(0.002):
                with connection.cursor() as cursor:
                    cursor.execute(sql, [self.customer_id])
                    balance, limit, completed = (int(v) for v in cursor.fetchone())
                self.samples += 1
                if balance != completed:
                    self.violations.append(f"stored {balance} ≠ Σ completed {completed} (1/10⁴)")
                if balance + limit < 0:
                    self.violations.append(f"balance {balance} below −limit {limit} (1/10⁴)")
        except BaseException as exc:  # noqa: BLE001 - reported by __exit__
            self.error = exc
        finally:
            connections.close_all()

    def __enter__(self) -> Auditor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_event.set()
        self.join(30)
        if self.error is not None:
            raise AssertionError(f"auditor failed: {self.error!r}") from self.error
        assert self.samples > 0, "the auditor never read the ledger"
        assert self.violations == [], self.violations[:10]
