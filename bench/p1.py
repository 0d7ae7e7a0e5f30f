"""Worker for P1: post completed top-ups on command and report how long each block took.

Variants:
- `ours`: through the real service, paydesk.ledger.services.payment_create.
- `floor`: the raw-SQL floor with the same driver Django uses (sqlite3 / psycopg): per payment,
  in its own transaction, one balance `UPDATE … RETURNING` and one INSERT of the payment row (with
  its balance_after, as the table's CHECK constraints require, and a random reference like ours,
  so the unique index sees the same scatter) — nothing else.

Shapes: `one` customer, or `many` customers (round-robin). Each variant posts to customers made
for this run, on the bench database named by DATABASE_URL, with the same amounts.

Protocol (bench/run.py drives this and the django-hordak worker alternately, block by block, so
that the shared machine's noise falls on every variant alike): the worker prints `READY` after its
warm-up; each stdin line `run VARIANT SHAPE COUNT` is answered by `DONE SECONDS`; `quit` checks
every balance against its payments and prints the RESULT line.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

from bench.common import django_setup, emit, say


def amounts(n: int, start: int = 0) -> list[Decimal]:
    return [Decimal(f"{(i % 50) + 1}.{(i * 37) % 100:02d}") for i in range(start, start + n)]


def random_reference() -> str:
    """As random as Paydesk's references (50 bits), so the unique index sees the same scatter."""
    return base64.b32encode(os.urandom(10)).decode()[:13]


def make_customers(count: int, tag: str) -> list:
    from paydesk.accounts.services import customer_create

    stamp = f"{os.getpid()}-{time.time_ns()}"
    return [customer_create(name=f"P1 {tag} {stamp} {i}", currency="USD") for i in range(count)]


def run_ours(customers: list, totals: list[Decimal], offset: int) -> None:
    from paydesk.ledger.services import payment_create

    k = len(customers)
    for i, total in enumerate(totals):
        payment_create(
            customer=customers[(offset + i) % k],
            total=total,
            description=f"Bank top-up {offset + i}",
        )


class SqliteFloor:
    UPDATE = "UPDATE accounts_customer SET balance = balance + ? WHERE id = ? RETURNING balance"
    INSERT = (
        "INSERT INTO ledger_payment (reference, customer_id, total, status, method, description, "
        "staff_comment, gateway, gateway_reference, created_at, occurred_at, completed_at, "
        "cancel_reason, balance_after) "
        "VALUES (?, ?, ?, 'completed', 'manual', ?, '', '', '', ?, ?, ?, '', ?)"
    )

    def __init__(self) -> None:
        import sqlite3

        from django.conf import settings

        self.con = sqlite3.connect(
            settings.DATABASES["default"]["NAME"], isolation_level=None, timeout=30
        )
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.con.execute("PRAGMA foreign_keys=ON")

    def post(self, customer_ids: list[int], totals: list[Decimal], offset: int) -> None:
        con, k = self.con, len(customer_ids)
        for i, total in enumerate(totals):
            units = int(total * 10000)
            cid = customer_ids[(offset + i) % k]
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
            con.execute("BEGIN IMMEDIATE")
            balance = con.execute(self.UPDATE, (units, cid)).fetchone()[0]
            con.execute(
                self.INSERT,
                (
                    random_reference(),
                    cid,
                    units,
                    f"Bank top-up {offset + i}",
                    now,
                    now,
                    now,
                    balance,
                ),
            )
            con.execute("COMMIT")


class PostgresFloor:
    UPDATE = "UPDATE accounts_customer SET balance = balance + %s WHERE id = %s RETURNING balance"
    INSERT = (
        "INSERT INTO ledger_payment (reference, customer_id, total, status, method, description, "
        "staff_comment, gateway, gateway_reference, created_at, occurred_at, completed_at, "
        "cancel_reason, balance_after) "
        "VALUES (%s, %s, %s, 'completed', 'manual', %s, '', '', '', %s, %s, %s, '', %s)"
    )

    def __init__(self) -> None:
        import psycopg

        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        self.conn = psycopg.connect(url)

    def post(self, customer_ids: list[int], totals: list[Decimal], offset: int) -> None:
        conn, k = self.conn, len(customer_ids)
        with conn.cursor() as cur:
            for i, total in enumerate(totals):
                units = int(total * 10000)
                cid = customer_ids[(offset + i) % k]
                now = datetime.now(UTC)
                cur.execute(self.UPDATE, (units, cid))
                balance = cur.fetchone()[0]
                cur.execute(
                    self.INSERT,
                    (
                        random_reference(),
                        cid,
                        units,
                        f"Bank top-up {offset + i}",
                        now,
                        now,
                        now,
                        balance,
                    ),
                )
                conn.commit()


def check_balances(customers: list) -> None:
    from django.db.models import Sum

    from paydesk.accounts.models import Customer
    from paydesk.ledger.models import Payment

    for c in customers:
        stored = Customer.objects.values_list("balance", flat=True).get(pk=c.pk)
        completed = Payment.objects.filter(customer_id=c.pk, status="completed")
        total = completed.aggregate(s=Sum("total"))
        if stored != (total["s"] or 0):
            raise SystemExit(f"P1: customer {c.pk} balance {stored} != sum {total['s']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--many", type=int, default=100, help="customers in the `many` shape")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--profile", help="write a pyinstrument HTML profile of `ours` here")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    customers = {
        variant: {"one": make_customers(1, variant), "many": make_customers(args.many, variant)}
        for variant in ("ours", "floor")
    }
    floor = PostgresFloor() if connection.vendor == "postgresql" else SqliteFloor()
    offsets = {"ours": 0, "floor": 0}

    def post(variant: str, shape: str, count: int) -> None:
        totals = amounts(count, offsets[variant])
        if variant == "ours":
            run_ours(customers["ours"][shape], totals, offsets[variant])
        else:
            floor.post([c.pk for c in customers["floor"][shape]], totals, offsets[variant])
        offsets[variant] += count

    for variant in ("ours", "floor"):
        for shape in ("one", "many"):
            post(variant, shape, args.warmup)

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    print("READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        _, variant, shape, count = words
        if profiler and variant == "ours":
            profiler.start()
        start = time.perf_counter()
        post(variant, shape, int(count))
        seconds = time.perf_counter() - start
        if profiler and variant == "ours":
            profiler.stop()
        print(f"DONE {seconds}", flush=True)
    if profiler:
        with open(args.profile, "w") as fh:
            fh.write(profiler.output_html())
        say(profiler.output_text(unicode=False, color=False))
    for variant in customers.values():
        for group in variant.values():
            check_balances(group)
    emit({"ok": True})


if __name__ == "__main__":
    main()
