"""Posting a customer's past payments (history moved from another system) into the ledger.

The ledger's running balance (`balance_after`) lives on completed rows that are never edited,
and the statement and `check-balances` read it in (`occurred_at`, id) order. A completed payment
dated before the customer's latest completed one would leave every later row's `balance_after`
wrong, so history is posted only *forward*: each completed entry must be dated at or after the
customer's latest completed payment (in practice: history goes into a customer before its first
live payment, or continues where an earlier import stopped). Anything else is refused, naming
the date, and nothing is written (docs/import.md, docs/decisions.md).

Pending and cancelled entries carry no balance and may sit anywhere in time.

`history_post` locks the customer's row, computes each completed entry's `balance_after` from the
stored balance, inserts the rows in batches and moves the balance once by their sum, all in the
caller's transaction. Imported history is a record of money that already moved: the available
credit is not checked and top-up steps (a voucher's armed bonus) do not run on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.audit.services import audit_record
from paydesk.errors import PaymentError
from paydesk.ledger.fastpath import REFERENCE_DRAWS, rows_insert
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.posting import (
    DESCRIPTION_MAX,
    METHODS,
    STATUSES,
    acting_user,
    checked_total,
    post_to_balance,
)
from paydesk.money import STORAGE_PLACES, decimal_places
from paydesk.references import new_payment_reference
from paydesk.text import control_characters_refusal

BATCH = 2000
IMPORTED_CANCEL_REASON = "Cancelled before the import."


class BackdatedEntry(PaymentError):
    """A completed payment dated before the customer's latest completed payment: an imported
    entry, or a payment the ledger is asked to post with an explicit time (`at=`)."""

    code = "backdated_entry"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One past payment: when it happened (aware), signed total in the account currency, its
    status, method and description, maybe a fee and a staff comment. The description is taken
    as the customer sees it, `#` included (an invoice number in another system's text), unlike
    a description typed into Paydesk."""

    occurred_at: datetime
    total: Decimal
    status: str
    description: str
    method: str = PaymentMethod.MANUAL
    fee: Decimal | None = None
    cancel_reason: str = ""
    staff_comment: str = ""


def history_check(entry: HistoryEntry) -> None:
    """Refuse an entry the ledger would not store (PaymentError naming the field)."""
    checked_total(entry.total)
    if entry.occurred_at.tzinfo is None:
        raise PaymentError("The date needs a time zone.", field="date")
    if not entry.description.strip():
        raise PaymentError("A description the customer can read is required.", field="description")
    if len(entry.description) > DESCRIPTION_MAX or len(entry.staff_comment) > DESCRIPTION_MAX:
        raise PaymentError("That description is too long.", field="description")
    for field, text in (("description", entry.description), ("staff_comment", entry.staff_comment)):
        if control_characters_refusal(text):
            # paydesk/text.py's rule, as for what people type: a history line is refused, never
            # rewritten, so whoever imports fixes the file (docs/import.md).
            raise PaymentError(
                f"The {field.replace('_', ' ')} has a line break, tab or other control "
                "character: write it on one line.",
                field=field,
            )
    if entry.status not in STATUSES:
        raise PaymentError(f"Unknown status '{entry.status}'.", field="status")
    if entry.method not in METHODS:
        raise PaymentError(f"Unknown method '{entry.method}'.", field="method")
    if entry.fee is not None and (entry.fee < 0 or decimal_places(entry.fee) > STORAGE_PLACES):
        raise PaymentError("The fee must be zero or more, with at most 4 decimals.", field="fee")


def backdating_refuse(at: datetime, floor: datetime | None, *, field: str = "date") -> None:
    """BackdatedEntry when a completed payment at `at` would come before `floor`, the
    customer's latest completed payment (PaymentError for a time without a time zone).

    Called holding the customer's row lock: by `history_post`, and by the ledger's services
    for a completed payment given an explicit time."""
    if at.tzinfo is None:
        raise PaymentError("The date needs a time zone.", field=field)
    now = timezone.now()
    if _later_than(at, now):
        # Every payment made from now on would come before it, with a `balance after` computed
        # after it: the running balance, the statement and check-balances would all go wrong.
        raise BackdatedEntry(
            f"A completed payment dated {at.isoformat()} is dated in the future (it is now "
            f"{now.isoformat(timespec='seconds')}): completed payments can only be posted up to "
            "now, so that running balances stay in date order (docs/import.md).",
            field=field,
        )
    if floor is not None and at < floor:
        raise BackdatedEntry(
            f"A completed payment dated {at.isoformat()} would come before {floor.isoformat()}, "
            "the customer's latest completed payment: completed payments, history included, "
            "can only be posted forward in time, so that running balances stay in date order "
            "(docs/import.md).",
            field=field,
        )


def _later_than(at: datetime, now: datetime) -> bool:
    """`at` > `now`; a moment with no UTC time (past the end of Python's calendar, such as
    9999-12-31T23:00-12:00) is later than any."""
    try:
        return at.astimezone(UTC) > now
    except OverflowError:
        return at.year > 1


def latest_completed_at(customer: Customer) -> datetime | None:
    """When the customer's latest completed payment sits in its statement, or None."""
    return (
        Payment.objects.filter(customer=customer, status=PaymentStatus.COMPLETED)
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", flat=True)
        .first()
    )


# The columns history_post writes; every other column of a payment takes its default.
_COLUMNS = [
    "reference", "customer_id", "total", "status", "method", "description", "staff_comment",
    "fee", "created_at", "created_by_id", "occurred_at", "completed_at", "cancelled_at",
    "cancel_reason", "balance_after",
]  # fmt: skip


def history_post(
    *,
    customer: Customer,
    entries: Iterable[HistoryEntry],
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
    posted: Callable[[list[int]], None] | None = None,
) -> list[int]:
    """Post `entries` (in the order given; the caller sorts them by time) to `customer` in one
    transaction and return the new payments' ids in the same order.

    Entries are read once and written in batches, so an iterator keeps memory flat. PaymentError
    (nothing written) for an entry the ledger would not store; BackdatedEntry when a completed
    entry is dated before the customer's latest completed payment or before the completed entry
    that precedes it. `progress` is called with the number of rows written after each batch.
    With `posted`, each batch's ids go to it instead (inside the transaction, in entry order)
    and the list returned is empty: a million entries then need no million ids in memory.
    """
    actor = acting_user(actor)
    actor_id = actor.pk if actor is not None else None
    with transaction.atomic():
        # Holding the customer's row until commit: no live payment slips in between the check
        # and the rows posted after it (the balance UPDATE of every posting takes this lock).
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        floor = latest_completed_at(locked)
        balance = locked.balance
        ids: list[int] = []
        count = 0
        batch: list[tuple[Any, ...]] = []
        first = last = ""
        for entry in entries:
            history_check(entry)
            if entry.status == PaymentStatus.COMPLETED:
                backdating_refuse(entry.occurred_at, floor)
                floor = entry.occurred_at
                balance += entry.total
            batch.append(_history_row(locked.pk, entry, balance, actor_id))
            if len(batch) == BATCH:
                count += _batch_insert(batch, ids, posted)
                first, last = first or batch[0][0], batch[-1][0]
                batch = []
                if progress is not None:
                    progress(count)
        if batch:
            count += _batch_insert(batch, ids, posted)
            first, last = first or batch[0][0], batch[-1][0]
            if progress is not None:
                progress(count)
        total = balance - locked.balance
        if total:
            after = post_to_balance(customer_id=locked.pk, amount=total, check_credit=False)
            if after.balance != balance:  # the row is locked: this cannot happen
                raise PaymentError("The balance moved during the import; nothing was written.")
        customer.balance = balance
        if actor is not None and count:
            audit_record(
                action="payment.import",
                actor=actor,
                obj=locked,
                customer_id=locked.pk,
                after={
                    "payments": count,
                    "completed_total": str(total),
                    "first": first,
                    "last": last,
                    "balance": str(balance),
                },
            )
    return ids


def _batch_insert(
    batch: list[tuple[Any, ...]], ids: list[int], posted: Callable[[list[int]], None] | None
) -> int:
    new = _rows_insert_drawing_again(batch)
    if posted is None:
        ids += new
    else:
        posted(new)
    return len(new)


def _rows_insert_drawing_again(batch: list[tuple[Any, ...]]) -> list[int]:
    """Insert one batch of rows (their reference first); when a reference was drawn before (by
    a payment, or twice in the batch: 50 random bits each), roll the batch back to its savepoint
    and draw those again, REFERENCE_DRAWS times at most, then PaymentError. The batch's rows
    are replaced in place by those written."""
    for _draw in range(REFERENCE_DRAWS):
        try:
            with transaction.atomic():  # a savepoint: two round trips per batch, not per row
                return rows_insert(Payment, _COLUMNS, batch)
        except IntegrityError:
            references = [row[0] for row in batch]
            taken = {ref for ref, times in Counter(references).items() if times > 1}
            taken.update(
                Payment.objects.filter(reference__in=references).values_list("reference", flat=True)
            )
            if not taken:
                raise
            batch[:] = [(new_payment_reference(), *r[1:]) if r[0] in taken else r for r in batch]
    raise PaymentError(
        "No unused payment references could be drawn, so nothing was imported. Please try again."
    )


def _history_row(
    customer_id: int, entry: HistoryEntry, balance: Decimal, actor_id: int | None
) -> tuple[Any, ...]:
    """One payment row in _COLUMNS order."""
    at, status = entry.occurred_at, entry.status
    completed = status == PaymentStatus.COMPLETED
    cancelled = status == PaymentStatus.CANCELLED
    return (
        new_payment_reference(),
        customer_id,
        entry.total,
        status,
        entry.method,
        entry.description.strip(),
        entry.staff_comment.strip(),
        entry.fee,
        at,
        actor_id,
        at,
        at if completed else None,
        at if cancelled else None,
        (entry.cancel_reason or IMPORTED_CANCEL_REASON)[:500] if cancelled else "",
        balance if completed else None,
    )
