"""Worker for P4's floor: the CSV of one customer's payments written by `csv.writer` over a
keyset-paged cursor with the raw driver (sqlite3 / psycopg), with the same columns, formatting
and spreadsheet escaping as the portal's export (spec §4 "CSV download"):

    Date / Time (ISO 8601, the user's UTC offset), Reference, Total (plain signed decimal),
    Currency, Status, Method, Description (public part) — a text cell that begins with
    = + - @ tab CR NUL or a byte-order mark gets a leading `'`; numbers are never altered.

Each page of rows is encoded to UTF-8 and counted, as a server would send it; nothing is kept.
The answer is rows per second (median of rounds) for the customer given.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import time
import zoneinfo
from datetime import UTC, datetime

from bench.common import django_setup, emit, median, say

HEADER = ["Date / Time", "Reference", "Total", "Currency", "Status", "Method", "Description"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0", "\ufeff")


def text(value: str) -> str:
    return "'" + value if value.startswith(DANGEROUS) else value


def plain(units: int, places: int) -> str:
    """Ten-thousandths → signed plain decimal with the currency's places, or more if needed."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10000)
    digits = f"{frac:04d}"
    shown = max(places, len(digits.rstrip("0")))
    return f"{sign}{whole}.{digits[:shown]}" if shown else f"{sign}{whole}"


def export(customer_id: int, page_size: int) -> tuple[int, int]:
    """(rows, bytes) of the customer's CSV."""
    from django.conf import settings
    from django.db import connection

    from paydesk.accounts.models import Customer, PaymentMethod, User
    from paydesk.ledger.models import PaymentStatus
    from paydesk.money import currency_exponent

    customer = Customer.objects.get(pk=customer_id)
    user = User.objects.filter(customer=customer).first()
    tz = zoneinfo.ZoneInfo((user.time_zone if user else "") or settings.TIME_ZONE)
    currency = text(customer.currency)
    places = currency_exponent(customer.currency)
    statuses = {k: text(str(v)) for k, v in PaymentStatus.choices}
    methods = {k: text(str(v)) for k, v in PaymentMethod.choices}
    columns = "id, occurred_at, reference, total, status, method, description"
    order = "ORDER BY occurred_at DESC, id DESC LIMIT {limit}"

    if connection.vendor == "postgresql":
        import psycopg

        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        conn = psycopg.connect(url, autocommit=True)
        mark = "%s"

        def when(value: datetime) -> str:
            return value.astimezone(tz).isoformat()
    else:
        import sqlite3

        conn = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        mark = "?"

        def when(value: str) -> str:
            return datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(tz).isoformat()

    first = f"SELECT {columns} FROM ledger_payment WHERE customer_id = {mark} " + order
    after = (
        f"SELECT {columns} FROM ledger_payment WHERE customer_id = {mark} "
        f"AND (occurred_at, id) < ({mark}, {mark}) " + order
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    rows = sent = 0
    cursor = conn.cursor()
    cursor.execute(first.format(limit=page_size), (customer_id,))
    while True:
        page = cursor.fetchall()
        if not page:
            break
        writer.writerows(
            (when(o), text(r), plain(t, places), currency, statuses[s], methods[m], text(d))
            for _id, o, r, t, s, m, d in page
        )
        rows += len(page)
        sent += len(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
        if len(page) < page_size:
            break
        last = page[-1]
        cursor.execute(after.format(limit=page_size), (customer_id, last[1], last[0]))
    sent += len(buffer.getvalue().encode("utf-8"))
    conn.close()
    return rows, sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customer", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=2000)
    args = parser.parse_args()
    django_setup()
    rates = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        rows, sent = export(args.customer, args.page_size)
        seconds = time.perf_counter() - start
        rates.append(rows / seconds)
        say(f"  P4 floor: {rows:,} rows, {sent / 1e6:.1f} MB in {seconds:.2f} s")
    emit({"rows": rows, "bytes": sent, "rows_per_s": median(rates), "samples": rates})


if __name__ == "__main__":
    main()
