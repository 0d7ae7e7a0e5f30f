"""Reading documents: a customer's list with its filters, the links a payment's page shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.urls import reverse

from paydesk.documents.issue import is_receipted_topup
from paydesk.documents.labels import provider_zone
from paydesk.documents.models import Document, DocumentKind
from paydesk.exports import BYTE_ORDER_MARK, csv_safe_text
from paydesk.ledger.models import Payment
from paydesk.money import plain_amount

# The days a date filter means anything between: every document was issued after the first and
# before the last. A day at either end of Python's calendar (0001-01-01, 9999-12-31) cannot be
# turned into a moment in a time zone, or has no next day; typed as an open end, it is the same
# as these (the portal's payments list uses the same bounds: portal.forms).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)

CSV_HEADER = [
    "Number", "Kind", "Date", "Customer", "Payment reference", "Corrects", "Currency", "Net",
    "Tax rate", "Tax", "Total",
]  # fmt: skip


def document_list(
    *,
    customer_id: int | None,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Document]:
    """Documents newest first; `customer_id=None` is every customer's (the back office's).
    Dates are a document's dates, days in the provider's time zone (Document.issue_date: the
    date on its PDF, whatever the reader's zone), both inclusive."""
    time_zone = provider_zone()
    rows = Document.objects.select_related("customer", "payment")
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    if kind in DocumentKind.values:
        rows = rows.filter(kind=kind)
    if date_from:
        start = min(max(date_from, FIRST_DAY), LAST_DAY)
        rows = rows.filter(issued_at__gte=datetime.combine(start, time.min, tzinfo=time_zone))
    if date_to:
        last = min(max(date_to, FIRST_DAY), LAST_DAY)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=time_zone)
        rows = rows.filter(issued_at__lt=end)
    return rows.order_by("-issued_at", "-id")


def documents_csv(rows: QuerySet[Document]) -> Iterator[str]:
    """The list as CSV lines (spreadsheet-safe text, amounts at full precision, a credit note's
    negative: Document.signed_gross; the date as on the PDF: Document.issue_date)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield BYTE_ORDER_MARK + buffer.getvalue()
    for doc in rows.iterator(chunk_size=1000):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                doc.code,
                doc.get_kind_display(),
                doc.issue_date.isoformat(),
                csv_safe_text(doc.data["buyer"]["name"]),
                doc.data["payment_reference"],
                doc.referenced_codes,
                doc.currency,
                plain_amount(doc.signed_net, doc.currency),
                f"{doc.tax_rate:f}",
                plain_amount(doc.signed_tax, doc.currency),
                plain_amount(doc.signed_gross, doc.currency),
            ]
        )
        yield buffer.getvalue()


def payment_documents(payment: Payment) -> list[dict[str, str]]:
    """The documents a payment's portal page links to: its receipt, its invoice or credit note."""
    links = []
    if is_receipted_topup(payment):
        links.append(
            {
                "label": "Receipt",
                "url": reverse("documents:receipt", args=[payment.reference]),
                "code": payment.reference,
            }
        )
    for doc in Document.objects.filter(payment=payment).order_by("id"):
        links.append(
            {
                "label": doc.get_kind_display(),
                "url": reverse("documents:download", args=[doc.code]),
                "code": doc.code,
            }
        )
    return links
