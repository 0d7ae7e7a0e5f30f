"""The staff CSV of payments across customers (spec §8), streamed with flat memory.

Kept as one small function so that it can be swapped for the shared exporter (paydesk.exports).
Includes the private staff comment: never hand this to a customer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from paydesk.accounts.models import PaymentMethod
from paydesk.ledger.models import PaymentStatus
from paydesk.money import plain_amount

HEADER = [
    "Date / Time",
    "Reference",
    "Customer",
    "Total",
    "Currency",
    "Status",
    "Method",
    "Description",
    "Staff comment",
]
_RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r", "\0")


def staff_payments_csv(queryset: QuerySet) -> StreamingHttpResponse:
    """Stream `queryset` (payments, in its own order) as CSV, safe to open in a spreadsheet."""
    tz = timezone.get_current_timezone()  # captured now: the body is produced after the view
    statuses = dict(PaymentStatus.choices)
    methods = dict(PaymentMethod.choices)

    def safe(text: str) -> str:
        return "'" + text if text.startswith(_RISKY_FIRST) else text

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM, so that Excel reads UTF-8
        writer.writerow(HEADER)
        values = queryset.values_list(
            "occurred_at",
            "reference",
            "customer__name",
            "total",
            "customer__currency",
            "status",
            "method",
            "description",
            "staff_comment",
        )
        for n, (at, ref, name, total, cur, status, method, desc, comment) in enumerate(
            values.iterator(chunk_size=2000), start=1
        ):
            writer.writerow(
                [
                    at.astimezone(tz).isoformat(timespec="seconds"),
                    safe(ref),
                    safe(name),
                    plain_amount(total, cur),
                    cur,
                    str(statuses.get(status, status)),
                    str(methods.get(method, method)),
                    safe(desc),
                    safe(comment),
                ]
            )
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"payments-all-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
