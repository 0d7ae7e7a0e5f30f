"""Reads for showing refunds next to the payments they came from (portal, CSV, API, back office).

One query for a page of payments: what their completed refunds took back, so a list says
"refunded 20.00 of 50.00" without a query per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum

from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus


def refunded_totals(*, payment_ids: Iterable[int]) -> dict[int, Decimal]:
    """{original id: what its completed refunds gave back (positive)} for those refunded."""
    ids = list(payment_ids)
    if not ids:
        return {}
    rows = (
        Payment.objects.filter(
            original_id__in=ids,
            relation=PaymentRelation.REFUND,
            status=PaymentStatus.COMPLETED,
        )
        .order_by()
        .values("original_id")
        .annotate(total=Sum("total"))
    )
    return {row["original_id"]: -row["total"] for row in rows if row["total"]}
