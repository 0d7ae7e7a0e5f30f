"""Reads of what went back from payments: their refunds and chargebacks, summed (portal, CSV,
API, back office, and the refund checks of ledger/refunds.py).

The one place these sums are made: `returned_by_payment` reads any number of payments in one
grouped query, so a list says "refunded 20.00 of 50.00" without a query per row and a single
payment's page reads the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from paydesk.fields import AmountField
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Returned:
    """What has gone back from one payment so far, in the account currency (positive)."""

    refunded: Decimal = ZERO  # completed refunds
    refunding: Decimal = ZERO  # pending refunds
    charged_back: Decimal = ZERO  # chargebacks less chargebacks reversed
    # a voucher bonus taken back with its top-up, less what was given back (vouchers/
    # bonus_reversal.py): gone from the bonus as a chargeback is, so not refundable again
    taken_back: Decimal = ZERO
    refunded_paid: Decimal = ZERO  # completed and pending refunds in the paid currency

    @property
    def held(self) -> Decimal:
        return self.refunded + self.refunding


NOTHING_RETURNED = Returned()


def returned_by_payment(*, payment_ids: Iterable[int]) -> dict[int, Returned]:
    """{original id: Returned} for those of `payment_ids` with a refund, chargeback, reversal or
    bonus taken back that is not cancelled: one query grouped by original, relation and status."""
    ids = list(payment_ids)
    if not ids:
        return {}
    rows = (
        Payment.objects.filter(original_id__in=ids)
        .exclude(status=PaymentStatus.CANCELLED)
        .order_by()
        .values("original_id", "relation", "status")
        .annotate(
            amount=Sum("total"),
            paid=Sum(Coalesce("paid_amount", "total", output_field=AmountField())),
        )
    )
    sums: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        into = sums.setdefault(row["original_id"], {})
        if row["relation"] == PaymentRelation.REFUND:
            completed = row["status"] == PaymentStatus.COMPLETED
            key = "refunded" if completed else "refunding"
            into[key] = into.get(key, ZERO) - row["amount"]
            into["refunded_paid"] = into.get("refunded_paid", ZERO) - row["paid"]
        elif row["relation"] in (
            PaymentRelation.CHARGEBACK,
            PaymentRelation.CHARGEBACK_REVERSED,
        ):  # a chargeback is negative, its reversal positive
            into["charged_back"] = into.get("charged_back", ZERO) - row["amount"]
        elif (
            row["relation"]
            in (
                PaymentRelation.BONUS_REVERSED,
                PaymentRelation.BONUS_RESTORED,
            )
            and row["status"] == PaymentStatus.COMPLETED
        ):
            into["taken_back"] = into.get("taken_back", ZERO) - row["amount"]
    return {pk: Returned(**values) for pk, values in sums.items()}


def refund_returned(*, payment: Payment) -> Returned:
    """The refunds and chargebacks of `payment`, summed (a read; no lock)."""
    return returned_by_payment(payment_ids=[payment.pk]).get(payment.pk, NOTHING_RETURNED)


def refunded_totals(*, payment_ids: Iterable[int]) -> dict[int, Decimal]:
    """{original id: what its completed refunds gave back (positive)} for those refunded."""
    returned = returned_by_payment(payment_ids=payment_ids)
    return {pk: r.refunded for pk, r in returned.items() if r.refunded}


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


def standing_refunds() -> QuerySet[Payment]:
    """Refunds pending or completed (not cancelled), oldest first: money the payer got back or
    is getting back. What Finance gives the gateway as evidence against a dispute of the same
    payment (the back office prefetches them with `original`'s `follow_ups`)."""
    return (
        Payment.objects.filter(relation=PaymentRelation.REFUND)
        .exclude(status=PaymentStatus.CANCELLED)
        .order_by("created_at", "id")
    )


# Where `standing_refunds_prefetch` puts a payment's standing refunds (a list, oldest first).
STANDING_REFUNDS = "standing_refunds"


def standing_refunds_prefetch(payment_path: str = "payment") -> Prefetch:
    """Prefetch, for the payment at `payment_path` of each row read, its standing refunds into
    `<payment>.standing_refunds` (a disputes list: one query for the page)."""
    lookup = f"{payment_path}__follow_ups" if payment_path else "follow_ups"
    return Prefetch(lookup, standing_refunds(), to_attr=STANDING_REFUNDS)


def standing_refunds_of(payment: Payment) -> list[Payment]:
    """The standing refunds of `payment`, oldest first: the prefetched ones when a list read
    them (`standing_refunds_prefetch`), else one query."""
    prefetched = getattr(payment, STANDING_REFUNDS, None)
    if prefetched is not None:
        return list(prefetched)
    return list(standing_refunds().filter(original=payment))


@dataclass(frozen=True, slots=True)
class RefundsSoFar:
    """A disputed payment's standing refunds, completed and pending, oldest first, summed for
    the reader deciding on evidence ("Refunded so far: $4.00 USD (2 refunds)")."""

    completed: tuple[Payment, ...] = ()
    pending: tuple[Payment, ...] = ()

    @property
    def refunded(self) -> Decimal:
        """What the completed refunds gave back (positive, account currency)."""
        return -sum((r.total for r in self.completed), ZERO)

    @property
    def refunding(self) -> Decimal:
        """What the pending refunds are giving back (positive, account currency)."""
        return -sum((r.total for r in self.pending), ZERO)


def refunds_so_far(payment: Payment) -> RefundsSoFar:
    """`standing_refunds_of(payment)` (what the dispute page lists), completed and pending."""
    rows = standing_refunds_of(payment)
    return RefundsSoFar(
        completed=tuple(r for r in rows if r.status == PaymentStatus.COMPLETED),
        pending=tuple(r for r in rows if r.status == PaymentStatus.PENDING),
    )


def refunded_q(payment_field: str = "payment") -> Exists:
    """Rows whose `payment_field` (a foreign key to a payment) is a payment with a standing
    refund: a dispute of money the payer already got back (the back office's disputes list and
    home page)."""
    return Exists(standing_refunds().filter(original_id=OuterRef(f"{payment_field}_id")))
