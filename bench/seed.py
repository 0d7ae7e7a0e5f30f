"""Worker: make the bench database (migrate) and seed big customers fast with bulk SQL.

`python -m bench.seed migrate` and `python -m bench.seed seed --sizes 1000,100000,1000000`, run
by bench/run.py with Paydesk's settings and DATABASE_URL pointing at the bench database (never a
real one). Rows are generated inside the database (generate_series on PostgreSQL, a recursive CTE
on SQLite) with consistent `balance_after` values, and each customer's stored balance is set to
the sum of its completed payments, so `paydesk check-balances` would find no drift. The ledger
guards only refuse UPDATE/DELETE of final payments: these are plain INSERTs.
"""

from __future__ import annotations

import argparse
import time

from bench.common import django_setup, emit, say

# Every column of ledger_payment that has no database default and is NOT NULL, plus the ones
# a completed or cancelled row must fill (CHECK payment_status_timestamps).
COLUMNS = (
    "reference, customer_id, total, status, method, description, staff_comment, gateway, "
    "gateway_reference, gateway_transaction, relation, pending_reason, needs_attention, "
    "created_at, occurred_at, completed_at, cancelled_at, cancel_reason, balance_after"
)

# Amounts in ten-thousandths: top-ups 1.25–111.25 (some with a sub-cent 0.0003), purchases
# -0.25 – -24.25 every tenth row; one row in a thousand cancelled. Descriptions include text a
# spreadsheet would read as a formula (=, -, @) and non-ASCII text, for the CSV export.
TOTAL = (
    "CASE WHEN n % 10 = 0 THEN -((n % 97) + 1) * 2500 "
    "WHEN n % 7 = 0 THEN ((n % 89) + 1) * 12500 + 3 "
    "ELSE ((n % 89) + 1) * 12500 END"
)
STATUS = "CASE WHEN n % 1000 = 500 THEN 'cancelled' ELSE 'completed' END"
METHOD = (
    "CASE n % 5 WHEN 0 THEN 'bank_transfer' WHEN 1 THEN 'paypal' WHEN 2 THEN 'card' "
    "WHEN 3 THEN 'voucher' ELSE 'manual' END"
)
DESCRIPTION = (
    "CASE WHEN n % 50 = 0 THEN '=1+' || n || ' looks like a formula' "
    "WHEN n % 50 = 25 THEN '-' || n || ' credit note' "
    "WHEN n % 50 = 35 THEN '@ops transfer ' || n "
    "WHEN n % 10 = 0 THEN 'DID rental +1 555 ' || n "
    "WHEN n % 7 = 0 THEN 'Virement reçu n° ' || n "
    "ELSE 'Top-up ' || n END"
)
TAIL = (
    "CASE WHEN status = 'completed' THEN ts END, "
    "CASE WHEN status = 'cancelled' THEN ts END, "
    "CASE WHEN status = 'cancelled' THEN 'Bench: cancelled' ELSE '' END, "
    "CASE WHEN status = 'completed' THEN "
    "SUM(CASE WHEN status = 'completed' THEN total ELSE 0 END) OVER (ORDER BY n) END"
)


def _postgres_sql(customer_id: int, count: int) -> str:
    return (
        f"INSERT INTO ledger_payment ({COLUMNS}) "
        f"SELECT 'BENCH-{customer_id}-' || n, {customer_id}, total, status, method, description, "
        f"'', '', '', '', '', '', FALSE, ts, ts, {TAIL} FROM ("
        f"SELECT n, {TOTAL} AS total, {STATUS} AS status, {METHOD} AS method, "
        f"{DESCRIPTION} AS description, "
        f"timestamptz '2020-01-01 00:00:00+00' + make_interval(secs => n * 30) AS ts "
        f"FROM generate_series(1, {count}) AS n) AS s"
    )


def _sqlite_sql(customer_id: int, count: int) -> str:
    # Django keeps an aware datetime on SQLite as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    return (
        f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}), "
        f"s AS (SELECT n, {TOTAL} AS total, {STATUS} AS status, {METHOD} AS method, "
        f"{DESCRIPTION} AS description, "
        f"datetime('2020-01-01 00:00:00', '+' || (n * 30) || ' seconds') AS ts FROM seq) "
        f"INSERT INTO ledger_payment ({COLUMNS}) "
        f"SELECT 'BENCH-{customer_id}-' || n, {customer_id}, total, status, method, description, "
        f"'', '', '', '', '', '', FALSE, ts, ts, {TAIL} FROM s ORDER BY n"
    )


def bulk_payments(customer_id: int, count: int) -> None:
    from django.db import connection, transaction

    sql = _postgres_sql if connection.vendor == "postgresql" else _sqlite_sql
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql(int(customer_id), int(count)))
        cursor.execute(
            "UPDATE accounts_customer SET balance = (SELECT COALESCE(SUM(total), 0) "
            "FROM ledger_payment WHERE customer_id = %s AND status = 'completed') WHERE id = %s",
            [customer_id, customer_id],
        )


def session_cookie(user) -> str:  # noqa: ANN001
    """A signed-in session for `user`, as the value of the sessionid cookie."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def seed(sizes: list[int]) -> dict:
    from django.db import connection

    from paydesk.accounts.models import Customer
    from paydesk.accounts.services import customer_create, portal_user_create
    from paydesk.ledger.models import Payment

    out = {}
    for size in sizes:
        customer = customer_create(name=f"Bench {size} payments", currency="USD")
        user = portal_user_create(
            customer=customer,
            email=f"bench-{size}-{customer.pk}@example.com",
            password="bench-password-not-secret",
            validate=False,
        )
        start = time.perf_counter()
        bulk_payments(customer.pk, size)
        seconds = time.perf_counter() - start
        customer = Customer.objects.get(pk=customer.pk)
        last = (
            Payment.objects.filter(customer=customer, status="completed")
            .order_by("-occurred_at", "-id")
            .values_list("balance_after", flat=True)
            .first()
        )
        if last != customer.balance:
            raise SystemExit(f"seed: balance {customer.balance} != last balance_after {last}")
        say(
            f"  seeded {size:>9,} payments for customer {customer.pk} in {seconds:.1f} s "
            f"(balance {customer.balance})"
        )
        out[str(size)] = {
            "customer_id": customer.pk,
            "user_id": user.pk,
            "sessionid": session_cookie(user),
            "seconds": seconds,
        }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["migrate", "seed"])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    args = parser.parse_args()
    django_setup()
    if args.action == "migrate":
        from django.core.management import call_command

        start = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        emit({"seconds": time.perf_counter() - start})
    else:
        emit({"customers": seed([int(s) for s in args.sizes.split(",")])})


if __name__ == "__main__":
    main()
