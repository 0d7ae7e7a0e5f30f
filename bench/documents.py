"""Documents (issue 16, docs/documents.md): PDFs rendered per second — receipt, invoice and
credit note (the last two with their Factur-X XML built, validated against the XSD and
embedded) — and the p95 of a receipt download beside the Payments page's, both through the full
Django stack (in-process test Client, signed in as the customer's portal user).

    python3 bench/documents.py [--db sqlite|postgres] [--payments 2000] [--requests 60]

Runs with the app's own .venv (`.venv/bin/python bench/documents.py`): fpdf2 and factur-x are
app dependencies. Its own database, made fresh and left behind only with --keep: SQLite
bench/var/documents.sqlite3 or PostgreSQL paydesk_bench_documents. Prints a table and writes it
to bench/results/<date>-<host>-documents.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.common import PG_ADMIN_URL, VAR, pg_url, say  # noqa: E402

PG_DB = "paydesk_bench_documents"
SQLITE = VAR / "documents.sqlite3"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def prepare(db: str) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        SQLITE.unlink(missing_ok=True)
        return f"sqlite:///{SQLITE}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return pg_url(PG_DB)


def seed(payments: int):
    from paydesk.accounts.billing import billing_profile_update
    from paydesk.accounts.services import customer_create, portal_user_create, staff_user_create
    from paydesk.documents.models import Document
    from paydesk.documents.services import invoicing_settings_update
    from paydesk.ledger.refunds import refund_create
    from paydesk.ledger.services import payment_complete, payment_create

    admin = staff_user_create(email="bench-admin@example.com", password="x" * 20, role="admin")
    invoicing_settings_update(
        actor=admin, invoices_enabled=True, legal_name="Bench Telecom Ltd",
        address="1 Bench Street\nLondon", country="GB", tax_id="GB980780684", tax_rate="20",
    )  # fmt: skip
    customer = customer_create(name="Bench Carrier", currency="USD", actor=None)
    billing_profile_update(
        customer=customer, actor=admin, legal_name="Bench Carrier Inc.", country="US",
        address_line1="500 Market Street", city="San Francisco", postal_code="94105",
    )  # fmt: skip
    user = portal_user_create(customer=customer, email="bench@example.com", password="x" * 20)
    topup = None
    for i in range(payments):
        if i % 4 == 0:
            pending = payment_create(
                customer=customer, total="50.00", method="bank_transfer", status="pending",
                description="Bank transfer",
            )  # fmt: skip
            topup = payment_complete(payment=pending)
        else:
            payment_create(customer=customer, total="-1.25", description=f"Calls {i}")
    refund = refund_create(original=topup, total="10.00", reason="bench", status="completed")
    invoice = Document.objects.get(payment=topup)
    note = Document.objects.get(payment=refund)
    return user, topup, invoice, note


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="paydesk.settings.dev", DEBUG="0", DATABASE_URL=prepare(args.db),
        SECRET_KEY="bench-only-not-secret", PAYDESK_LOG_LEVEL="WARNING",
        PAYDESK_VAR_DIR=str(VAR), ALLOWED_HOSTS="localhost",
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from paydesk.documents.render import document_pdf, receipt_pdf

    call_command("migrate", verbosity=0)
    say(f"seeding {args.payments} payments …")
    user, topup, invoice, note = seed(args.payments)

    rows = []
    for name, render in (
        ("receipt", lambda: receipt_pdf(topup)),
        ("invoice + Factur-X", lambda: document_pdf(invoice)),
        ("credit note + Factur-X", lambda: document_pdf(note)),
    ):
        render()  # warm-up: fonts parsed, XSD loaded
        times = []
        for _ in range(args.renders):
            start = time.perf_counter()
            render()
            times.append(time.perf_counter() - start)
        rows.append((f"{name}: renders per second", f"{1 / statistics.median(times):.1f}"))

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    targets = {
        "GET /payments/": "/payments/",
        "GET receipt.pdf": f"/payments/{topup.reference}/receipt.pdf",
        "GET invoice.pdf": f"/invoices/{invoice.code}.pdf",
    }
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for url in targets.values():
        assert client.get(url).status_code == 200, url
    order = list(targets)
    for i in range(args.requests):  # interleaved, rotating, so machine noise falls alike
        for name in order[i % 3 :] + order[: i % 3]:
            start = time.perf_counter()
            response = client.get(targets[name])
            samples[name].append(time.perf_counter() - start)
            assert response.status_code == 200, name
    for name, values in samples.items():
        rows.append((f"{name}: p95 ms", f"{p95(values) * 1000:.1f}"))
        rows.append((f"{name}: median ms", f"{statistics.median(values) * 1000:.1f}"))
    ratio = p95(samples["GET receipt.pdf"]) / p95(samples["GET /payments/"])
    rows.append(("receipt p95 / Payments page p95", f"{ratio:.2f}"))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    table = ["| what | value |", "|---|---|", *[f"| {w} | {v} |" for w, v in rows]]
    text = "\n".join(
        [
            f"# Documents bench, {stamp}",
            "",
            f"{args.db}, {args.payments} payments on the customer, {args.renders} renders, "
            f"{args.requests} requests each; commit {commit}; {platform.node()}, "
            f"{os.cpu_count()} cores, load {load:.2f}; Python {platform.python_version()}.",
            "",
            *table,
            "",
        ]
    )
    print(text)
    out = ROOT / "bench" / "results" / f"{stamp[:10]}-{platform.node()}-documents-{args.db}.md"
    out.write_text(text)
    say(f"written to {out.relative_to(ROOT)}")
    if not args.keep and args.db == "sqlite":
        SQLITE.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
