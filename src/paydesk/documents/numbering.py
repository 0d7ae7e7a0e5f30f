"""Gap-free numbers per series and year (`INV-2026-000123`), taken in the caller's transaction.

One UPDATE moves the series' counter by one and returns the new value: on PostgreSQL it holds the
counter's row lock until the caller commits, so a second app server numbering in the same series
waits and then takes the next number; a rollback undoes the move, leaving no gap. The database
refuses a document whose number is not the counter's new value and the series' highest plus one
(guards.py).
"""

from __future__ import annotations

from django.db import connection

from paydesk.documents.models import DocumentCounter

WIDTH = 6


def number_take(*, series: str, year: int) -> int:
    """The next number of `series` in `year`; call inside the transaction that issues it."""
    DocumentCounter.objects.bulk_create(
        [DocumentCounter(series=series, year=year, last_number=0)], ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_documentcounter SET last_number = last_number + 1 "
            "WHERE series = %s AND year = %s RETURNING last_number",
            [series, year],
        )
        return int(cursor.fetchone()[0])


def document_code(*, series: str, year: int, number: int) -> str:
    return f"{series}-{year}-{number:0{WIDTH}d}"
