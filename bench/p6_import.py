"""P6 (issue 19): rows imported per second by `paydesk import-payments`, side by side with the
raw-SQL floor, and the importer's memory growth.

    python3 bench/p6_import.py [--db sqlite|postgres] [--rows 1000000] [--rounds 1]

- **ours**: paydesk.imports.services.import_plan + import_run (what the command runs, without
  the progress bar) of a ConnexCS-format CSV of `--rows` completed payments for one customer,
  into a fresh database: every line checked, one transaction, the origin rows written.
- **floor**: the same file, same driver (sqlite3 / psycopg), one transaction: `csv.reader`,
  `datetime.fromisoformat`, Decimal → integer units, a running balance, the same payment rows
  (random reference, balance_after) and origin rows written by executemany (SQLite) or COPY
  (PostgreSQL; the columns with a database default take it), one balance UPDATE. No checks
  beyond what parsing needs.

Each variant runs in its own process on a freshly migrated database (bench/var/p6.sqlite3, or
PostgreSQL `paydesk_bench_p6`); memory is the process's peak RSS growth over its RSS before the
import (ru_maxrss). Bar (issue 19): ours ≥ 25 % of the floor, memory flat.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent.parent),
    str(Path(__file__).resolve().parents[1] / "src"),
]

from bench.common import VAR, emit, parse_result, paydesk_env, pg_url, say  # noqa: E402

PG_DB = os.environ.get("PAYDESK_BENCH_P6_DB", "paydesk_bench_p6")  # another name: no clash
SQLITE = VAR / "p6.sqlite3"
START = datetime(2015, 1, 1, tzinfo=UTC)
COPY_PAYMENTS = (
    "COPY ledger_payment (reference, customer_id, total, status, method, description,"
    " staff_comment, gateway, gateway_reference, cancel_reason, created_at, occurred_at,"
    " completed_at, balance_after) FROM STDIN"
)
COPY_ORIGINS = (
    "COPY imports_importedpayment (customer_id, source, origin_key, payment_id, line,"
    " imported_at) FROM STDIN"
)


def database_url(db: str) -> str:
    return f"sqlite:///{SQLITE}" if db == "sqlite" else pg_url(PG_DB)


def make_file(rows: int) -> Path:
    path = VAR / f"p6-{rows}.csv"
    if path.exists():
        return path
    VAR.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date / Time", "Total", "Status", "Description"])
        for n in range(rows):
            total = "25.00" if n % 4 == 0 else "-3.17"
            moment = (START + timedelta(seconds=90 * n)).isoformat()
            writer.writerow([moment, total, "Completed", f"Usage {n} – Zürich"])
    return path


def fresh_database(db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(pg_url("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            admin.execute(f"CREATE DATABASE {PG_DB}")
    env = paydesk_env(db, DATABASE_URL=database_url(db))
    subprocess.run([sys.executable, "-m", "paydesk", "migrate", "-v", "0"], env=env, check=True)


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ours(path: Path) -> dict:
    import django

    django.setup()
    from paydesk.accounts.services import customer_create
    from paydesk.imports.services import import_plan, import_run

    customer = customer_create(name="Imported", currency="USD")
    before = rss_peak_mb()
    start = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:  # read once, line by line
        plan = import_plan(text=handle, file_format="connexcs", customer=customer.slug)
    result = import_run(plan=plan)
    seconds = time.perf_counter() - start
    return {"rows": result.imported, "seconds": seconds, "rss_growth_mb": rss_peak_mb() - before}


def worker_floor(path: Path, db: str) -> dict:
    import django

    django.setup()
    from django.db import connection

    from paydesk.accounts.services import customer_create

    customer = customer_create(name="Floor", currency="USD")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    payment_sql = (
        "INSERT INTO ledger_payment (reference, customer_id, total, status, method, description,"
        " staff_comment, gateway, gateway_reference, gateway_transaction, relation, created_at,"
        " occurred_at, completed_at, cancel_reason, balance_after, pending_reason,"
        " needs_attention) VALUES (%s, %s, %s, 'completed', 'manual', %s, '', '', '', '', '',"
        " %s, %s, %s, '', %s, '', false)"
    )
    origin_sql = (
        "INSERT INTO imports_importedpayment (customer_id, source, origin_key, payment_id, line,"
        " imported_at) VALUES (%s, 'connexcs', %s, %s, %s, %s)"
    )
    if db == "sqlite":
        import sqlite3

        raw = sqlite3.connect(str(SQLITE), isolation_level=None)
        payment_sql, origin_sql = payment_sql.replace("%s", "?"), origin_sql.replace("%s", "?")
        payment_sql = payment_sql.replace("false", "0")
    else:
        import psycopg

        connection.close()
        raw = psycopg.connect(database_url(db))
    before = rss_peak_mb()
    start = time.perf_counter()
    cursor = raw.cursor()
    if db == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    balance, payments, keys = 0, [], []
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for line, (moment, total, _status, description) in enumerate(reader, start=2):
            at = datetime.fromisoformat(moment)
            if db == "sqlite":
                at = at.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            units = int(Decimal(total) * 10000)
            balance += units
            # 50 random bits, as the app's references (8 characters collided at 1 M rows)
            bits = secrets.randbits(50)
            reference = "PD-" + "".join(alphabet[(bits >> (5 * i)) & 31] for i in range(10))
            payments.append((reference, customer.pk, units, description, at, at, at, balance))
            keys.append((moment + total, line))
    if db == "sqlite":
        cursor.executemany(payment_sql, payments)
    else:  # COPY: PostgreSQL's fastest way in, the true floor
        with cursor.copy(COPY_PAYMENTS) as copy:
            for ref, cid, units, text, at, _at, _at2, bal in payments:
                copy.write_row(
                    (ref, cid, units, "completed", "manual", text, "", "", "", "", at, at, at, bal)
                )
    cursor.execute(
        "SELECT id FROM ledger_payment WHERE customer_id = %s ORDER BY id".replace(
            "%s", "?" if db == "sqlite" else "%s"
        ),
        (customer.pk,),
    )
    ids = [row[0] for row in cursor.fetchall()]
    now = datetime.now(UTC)
    now_value = now.replace(tzinfo=None).isoformat(" ") if db == "sqlite" else now
    origins = [
        (customer.pk, key, pk, line, now_value) for (key, line), pk in zip(keys, ids, strict=True)
    ]
    if db == "sqlite":
        cursor.executemany(origin_sql, origins)
    else:
        with cursor.copy(COPY_ORIGINS) as copy:
            for cid, key, pk, line, moment in origins:
                copy.write_row((cid, "connexcs", key, pk, line, moment))
    cursor.execute(
        "UPDATE accounts_customer SET balance = balance + %s WHERE id = %s".replace(
            "%s", "?" if db == "sqlite" else "%s"
        ),
        (balance, customer.pk),
    )
    raw.commit() if db != "sqlite" else cursor.execute("COMMIT")
    seconds = time.perf_counter() - start
    return {"rows": len(ids), "seconds": seconds, "rss_growth_mb": rss_peak_mb() - before}


def run_variant(variant: str, db: str, path: Path) -> dict:
    fresh_database(db)
    env = paydesk_env(db, DATABASE_URL=database_url(db))
    out = subprocess.run(
        [sys.executable, __file__, "--worker", variant, "--db", db, "--file", str(path)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"P6 {db} {variant} failed:\n{out.stderr[-4000:]}")
    result = parse_result(out.stdout)
    say(
        f"P6 {db} {variant}: {result['rows']:,} rows in {result['seconds']:.1f} s = "
        f"{result['rows'] / result['seconds']:,.0f} rows/s, "
        f"peak RSS +{result['rss_growth_mb']:.0f} MB"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--worker", choices=["ours", "floor"])
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.worker:
        path = Path(args.file)
        emit(worker_ours(path) if args.worker == "ours" else worker_floor(path, args.db))
        return 0
    os.environ.setdefault("PAYDESK_LOG_LEVEL", "WARNING")
    path = make_file(args.rows)
    rates: dict[str, list[float]] = {"ours": [], "floor": []}
    growth: list[float] = []
    for _ in range(args.rounds):
        for variant in ("floor", "ours"):
            result = run_variant(variant, args.db, path)
            rates[variant].append(result["rows"] / result["seconds"])
            if variant == "ours":
                growth.append(result["rss_growth_mb"])
    ours, floor = max(rates["ours"]), max(rates["floor"])
    print(
        f"| P6 import, {args.rows:,} rows, {args.db} | {ours:,.0f} rows/s | floor "
        f"{floor:,.0f} rows/s | {ours / floor:.0%} | ≥ 25 % | "
        f"{'pass' if ours / floor >= 0.25 else 'FAIL'} | memory +{max(growth):.0f} MB |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
