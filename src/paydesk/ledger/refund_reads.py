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


def refunds_shown(payment: Payment) -> bool:
    """Whether a payment is one whose refunds are shown ("refunded X of Y"): a completed top-up
    that stands alone or is a late payment."""
    return (
        payment.status == PaymentStatus.COMPLETED
        and payment.total > 0
        and payment.relation in ("", PaymentRelation.LATE_PAYMENT)
    )


def refunded_of(payment: Payment) -> Decimal | None:
    """What the completed refunds of `payment` gave back, or None when it is not a payment whose
    refunds are shown. Uses `refunded_total` when a list set it (refunded_totals_set)."""
    if not refunds_shown(payment):
        return None
    cached = getattr(payment, "refunded_total", None)
    if cached is not None:
        return cached
    return refunded_totals(payment_ids=[payment.pk]).get(payment.pk, Decimal(0))


def refunded_totals_set(payments: Iterable[Payment]) -> None:
    """Set `refunded_total` on each payment of a page whose refunds are shown: one query."""
    shown = [p for p in payments if refunds_shown(p)]
    totals = refunded_totals(payment_ids=[p.pk for p in shown])
    for payment in shown:
        payment.refunded_total = totals.get(payment.pk, Decimal(0))  # type: ignore[attr-defined]
