"""Reads of the ledger: balances, drift checks, filtered and keyset-paged payment lists,
and the statement (opening and closing balance, balance over time) of a period.

Never writes. Customer-facing callers must pass the signed-in user's own customer.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.errors import PaydeskError
from paydesk.fields import AmountField
from paydesk.ledger.attempts import checkout_attempt_q
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.money import STORAGE_PLACES, decimal_places, from_storage_units, to_decimal


@dataclass(frozen=True)
class BalanceDrift:
    customer_id: int
    customer_name: str
    currency: str
    stored: Decimal
    computed: Decimal
    last_balance_after: Decimal | None

    @property
    def difference(self) -> Decimal:
        return self.stored - self.computed


def balance_drifts() -> list[BalanceDrift]:
    """Customers whose stored balance differs from the sum of their completed payments,
    or from the `balance after` of their latest completed payment."""
    completed = Q(payments__status=PaymentStatus.COMPLETED)
    rows = Customer.objects.annotate(
        computed=Coalesce(
            Sum("payments__total", filter=completed), Value(Decimal(0)), output_field=AmountField()
        )
    ).values_list("pk", "name", "currency", "balance", "computed")
    drifts = []
    for pk, name, currency, stored, computed in rows.iterator(chunk_size=2000):
        last = (
            Payment.objects.filter(customer_id=pk, status=PaymentStatus.COMPLETED)
            .order_by("-completed_at", "-id")
            .values_list("balance_after", flat=True)
            .first()
        )
        if stored != computed or (last is not None and last != stored):
            drifts.append(BalanceDrift(pk, name, currency, stored, computed, last))
    return drifts


# ----------------------------------------------------------------------------------------------
# Filtered payment lists


@dataclass(frozen=True)
class PaymentFilters:
    """What a payments list is narrowed to. `start` is inclusive, `end` exclusive; both aware."""

    status: str = ""
    method: str = ""
    text: str = ""
    start: datetime | None = None
    end: datetime | None = None
    hide_pending_bank_transfers: bool = False
    # Leave out online checkouts the customer never finished: unfinished ones (listed apart on
    # the Payments page) and cancelled ones (declined, abandoned, cancelled at the gateway).
    hide_checkout_attempts: bool = False
    # A chargeback row stored with its gateway's reason code shows it in words (paydesk.shapes,
    # above the ledger, which imports no gateway): `text` must find it by those words. Each
    # entry (methods, pattern) also matches a chargeback of those methods whose description
    # ends in the pattern (shapes.description_search_also gives them for `text`).
    text_stored_as: tuple[tuple[tuple[str, ...], str], ...] = ()


# The columns a customer-facing list may load: never `staff_comment`.
CUSTOMER_PAYMENT_FIELDS = (
    "id",
    "customer_id",
    "reference",
    "total",
    "status",
    "method",
    "description",
    "created_at",
    "occurred_at",
    "completed_at",
    "cancelled_at",
    "balance_after",
    "original",
    "relation",
    "pending_reason",  # why a pending row waits (a SEPA debit: the banks take days)
)


def stored_as_q(stored_as: Sequence[tuple[Sequence[str], str]]) -> Q:
    """The chargeback rows whose description was stored as one of `stored_as` (methods, the
    pattern its end matches, any case: PaymentFilters.text_stored_as); no row when empty."""
    found = Q(pk__in=[])
    for methods, pattern in stored_as:
        # In this order (Q(**kwargs) would sort them): the database tests the cheap equality
        # first, and the expression only on the few chargeback rows.
        found |= (
            Q(relation=PaymentRelation.CHARGEBACK)
            & Q(method__in=list(methods))
            & Q(description__iregex=pattern)
        )
    return found


def payment_filter(*, queryset: QuerySet[Payment], filters: PaymentFilters) -> QuerySet[Payment]:
    """Narrow any payments queryset (one customer's or everyone's) by `filters`."""
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.text:
        queryset = queryset.filter(
            Q(description__icontains=filters.text) | stored_as_q(filters.text_stored_as)
        )
    if filters.start is not None:
        queryset = queryset.filter(occurred_at__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(occurred_at__lt=filters.end)
    if filters.hide_pending_bank_transfers:
        queryset = queryset.exclude(
            status=PaymentStatus.PENDING, method=PaymentMethod.BANK_TRANSFER
        )
    if filters.hide_checkout_attempts:
        queryset = queryset.exclude(checkout_attempt_q())
    return queryset


def payment_list_for_customer(*, customer: Customer, filters: PaymentFilters) -> QuerySet[Payment]:
    """One customer's payments narrowed by `filters`, without private columns; unordered. The
    original's reference ("Refund of PD-…") comes in the same query (no query per linked row)."""
    rows = Payment.objects.filter(customer=customer).select_related("original")
    return payment_filter(
        queryset=rows.only(*CUSTOMER_PAYMENT_FIELDS, "original__reference"),
        filters=filters,
    )


def payment_statuses_for_customer(*, customer: Customer, ids: Sequence[int]) -> dict[int, str]:
    """Current status of those of `ids` that are the customer's own payments (others ignored)."""
    return dict(
        Payment.objects.filter(customer=customer, pk__in=list(ids)[:200]).values_list(
            "pk", "status"
        )
    )


# ----------------------------------------------------------------------------------------------
# Keyset paging: ORDER BY (key, id) with `key <= v AND (key < v OR id < i)`, never OFFSET, so
# the (customer, occurred_at, id) and (customer, total, id) indexes serve every page alike.


@dataclass(frozen=True)
class PaymentSort:
    token: str
    field: str
    descending: bool

    def reversed(self) -> PaymentSort:
        return PaymentSort(self.token, self.field, not self.descending)

    def ordering(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return (f"{sign}{self.field}", f"{sign}id")


PAYMENT_SORTS: dict[str, PaymentSort] = {
    "-date": PaymentSort("-date", "occurred_at", True),
    "date": PaymentSort("date", "occurred_at", False),
    "-total": PaymentSort("-total", "total", True),
    "total": PaymentSort("total", "total", False),
}
DEFAULT_PAYMENT_SORT = PAYMENT_SORTS["-date"]
_MAX_CURSOR_LENGTH = 200
_MAX_ID = 2**63 - 1


def keyset_after(name: str, descending: bool, value: Any, pk: int) -> Q:
    """Rows strictly after (value, pk) in ORDER BY (name, id), descending or not."""
    if descending:
        return Q(**{f"{name}__lte": value}) & (Q(**{f"{name}__lt": value}) | Q(id__lt=pk))
    return Q(**{f"{name}__gte": value}) & (Q(**{f"{name}__gt": value}) | Q(id__gt=pk))


def cursor_encode(*, sort: PaymentSort, value: Any, pk: int) -> str:
    """An opaque, URL-safe cursor naming the row (value, pk) under `sort`."""
    raw = value.isoformat() if isinstance(value, datetime) else str(value)
    data = json.dumps([sort.token, raw, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def cursor_decode(*, sort: PaymentSort, cursor: str) -> tuple[Any, int] | None:
    """(value, pk) from a cursor made for `sort`, or None for anything else (never raises)."""
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        token, raw, pk = data
    except (ValueError, TypeError, binascii.Error, RecursionError):
        return None
    if token != sort.token or not isinstance(raw, str):
        return None
    if type(pk) is not int or not 0 < pk <= _MAX_ID:
        return None
    if sort.field == "occurred_at":
        try:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                return None
            return moment.astimezone(UTC), pk
        except (ValueError, OverflowError):
            return None
    try:
        amount = to_decimal(raw)
    except PaydeskError:
        return None
    return (amount, pk) if decimal_places(amount) <= STORAGE_PLACES else None


@dataclass(frozen=True)
class PaymentPage:
    rows: list[Payment]
    sort: PaymentSort
    has_previous: bool
    has_next: bool
    cursor_was_invalid: bool = False

    def _cursor(self, payment: Payment) -> str:
        return cursor_encode(sort=self.sort, value=getattr(payment, self.sort.field), pk=payment.pk)

    @property
    def previous_cursor(self) -> str | None:
        return self._cursor(self.rows[0]) if self.has_previous and self.rows else None

    @property
    def next_cursor(self) -> str | None:
        return self._cursor(self.rows[-1]) if self.has_next and self.rows else None


def payment_page(
    *,
    queryset: QuerySet[Payment],
    sort: PaymentSort = DEFAULT_PAYMENT_SORT,
    after: str = "",
    before: str = "",
    last: bool = False,
    size: int = 50,
) -> PaymentPage:
    """One page of `queryset` in `sort` order: the first, the last, or the one after/before a
    cursor. An invalid cursor gives the first page; a cursor past an end gives that end's page."""
    direction, anchor, invalid = "first", None, False
    if last:
        direction = "last"
    elif after or before:
        anchor = cursor_decode(sort=sort, cursor=after or before)
        if anchor is None:
            invalid = True
        else:
            direction = "after" if after else "before"
    forward = direction in ("first", "after")
    scan = sort if forward else sort.reversed()
    page_qs = queryset
    if anchor is not None:
        page_qs = page_qs.filter(keyset_after(scan.field, scan.descending, *anchor))
    rows = list(page_qs.order_by(*scan.ordering())[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    if not rows and anchor is not None:
        return payment_page(queryset=queryset, sort=sort, last=direction == "after", size=size)

    def exists_beyond(row: Payment, scan: PaymentSort) -> bool:
        value = getattr(row, scan.field)
        return queryset.filter(keyset_after(scan.field, scan.descending, value, row.pk)).exists()

    if forward:
        has_next = more
        has_previous = direction == "after" and exists_beyond(rows[0], sort.reversed())
    else:
        has_previous = more
        has_next = direction == "before" and exists_beyond(rows[-1], sort)
    return PaymentPage(rows, sort, has_previous, has_next, invalid)


# ----------------------------------------------------------------------------------------------
# Statement: opening and closing balance of a period and the balance over it


STATEMENT_POINTS = 150


@dataclass(frozen=True)
class Statement:
    """The account balance over [start, end): opening, closing, and at most a bounded number of
    (moment, balance) points in time order, for a chart."""

    start: datetime | None
    end: datetime | None
    opening: Decimal
    closing: Decimal
    points: list[tuple[datetime, Decimal]] = field(default_factory=list)
    sampled: bool = False
    # The lowest and highest running balance of the period (the opening balance included when
    # the period has a start), exact even when the points are sampled.
    low: Decimal | None = None
    high: Decimal | None = None


def _completed(customer: Customer) -> QuerySet[Payment]:
    return Payment.objects.filter(customer=customer, status=PaymentStatus.COMPLETED)


def _balance_before(customer: Customer, moment: datetime | None, *, inclusive: bool) -> Any:
    """(occurred_at, balance_after) of the last completed payment before `moment`, or None."""
    rows = _completed(customer)
    if moment is not None:
        rows = rows.filter(**{"occurred_at__lte" if inclusive else "occurred_at__lt": moment})
    return rows.order_by("-occurred_at", "-id").values_list("occurred_at", "balance_after").first()


def _balances_at(customer: Customer, moments: Sequence[datetime]) -> list[Decimal | None]:
    """The balance after the last completed payment at or before each moment, by one query of
    one indexed LIMIT 1 lookup per moment (raw SQL: the ORM takes longer to compile a hundred
    subqueries than the database takes to run them)."""
    qn = connection.ops.quote_name
    meta = Payment._meta
    lookup = (
        f"(SELECT {qn(meta.get_field('balance_after').column)} FROM {qn(meta.db_table)}"
        f" WHERE {qn(meta.get_field('customer').column)} = %s"
        f" AND {qn(meta.get_field('status').column)} = %s"
        f" AND {qn(meta.get_field('occurred_at').column)} <= %s"
        f" ORDER BY {qn(meta.get_field('occurred_at').column)} DESC, {qn(meta.pk.column)} DESC"
        " LIMIT 1)"
    )
    params: list[Any] = []
    for moment in moments:
        params += [customer.pk, PaymentStatus.COMPLETED.value]
        params.append(connection.ops.adapt_datetimefield_value(moment))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([lookup] * len(moments)), params)
        row = cursor.fetchone()
    return [None if units is None else from_storage_units(units) for units in row]


def _extremes(in_period: QuerySet[Payment], *, whole_history: bool) -> tuple[Decimal, Decimal]:
    """The lowest and highest `balance_after` of the period's completed payments. Over the whole
    history (the Payments page's default), two steps into the (customer, status, balance_after)
    index whatever the number of payments: one MIN/MAX aggregate would read every row (SQLite
    optimises only a lone MIN or MAX). A bounded period reads its own rows (the time index)."""
    # Called with completed payments in the period, each with its balance_after (CHECK
    # payment_status_timestamps): neither is None.
    if not whole_history:
        extremes = in_period.aggregate(low=Min("balance_after"), high=Max("balance_after"))
        return extremes["low"], extremes["high"]
    balances = in_period.values_list("balance_after", flat=True)
    low, high = balances.order_by("balance_after")[0], balances.order_by("-balance_after")[0]
    return cast(Decimal, low), cast(Decimal, high)


def payment_statement(
    *,
    customer: Customer,
    start: datetime | None,
    end: datetime | None,
    points: int = STATEMENT_POINTS,
) -> Statement:
    """Account balance (every completed payment, whatever the other filters) over [start, end).

    A few indexed queries whatever the number of payments: when the period holds more completed
    payments than `points`, the balance is sampled at `points` evenly spaced moments.
    """
    zero = Decimal(0)
    opening_row = _balance_before(customer, start, inclusive=False) if start else None
    opening = opening_row[1] if opening_row else zero
    closing_row = _balance_before(customer, end, inclusive=False)
    closing = closing_row[1] if closing_row else zero
    in_period = _completed(customer)
    if start is not None:
        in_period = in_period.filter(occurred_at__gte=start)
    if end is not None:
        in_period = in_period.filter(occurred_at__lt=end)
    # Completed payments: each has its balance_after (CHECK payment_status_timestamps).
    first = cast(
        list[tuple[datetime, Decimal]],
        list(
            in_period.order_by("occurred_at", "id").values_list("occurred_at", "balance_after")[
                : points + 1
            ]
        ),
    )
    if not first:
        return Statement(start, end, opening, closing, low=opening, high=opening)
    if len(first) <= points:  # the whole period is in hand
        low, high = min(b for _, b in first), max(b for _, b in first)
    else:
        low, high = _extremes(in_period, whole_history=start is None and end is None)
    if start is not None:
        low, high = min(low, opening), max(high, opening)
    if len(first) <= points:
        return Statement(
            start, end, opening, closing, [(t, b) for t, b in first], low=low, high=high
        )
    t0 = first[0][0]
    t1 = closing_row[0]
    step = (t1 - t0) / (points - 1)
    moments = [t0 + step * k for k in range(points - 1)] + [t1]
    sampled = _balances_at(customer, moments)
    series = [(t, zero if b is None else b) for t, b in zip(moments, sampled, strict=True)]
    return Statement(start, end, opening, closing, series, sampled=True, low=low, high=high)


def partly_received_words(payment: Payment) -> str:
    """What the gateway reported received of a partly paid payment, as it wrote it
    ("0.00010000 BTC"); empty when it reported nothing of the kind."""
    if not payment.gateway_received_currency:
        return ""
    return f"{payment.gateway_received_amount} {payment.gateway_received_currency}"
