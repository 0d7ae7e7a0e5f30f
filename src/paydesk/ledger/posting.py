"""The ledger's shared steps: the checks every payment write makes, the audit snapshot, and the
one statement that moves a balance (`post_to_balance`). Used only inside paydesk.ledger.

The balance moves by one conditional UPDATE (`balance = balance + x`, with the available-credit
check in its WHERE clause for debits), so the check and the debit are one atomic step on SQLite
and PostgreSQL alike; it must run inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.errors import InsufficientCredit, InvalidAmount, PaymentError, PermissionDenied
from paydesk.ledger.fastpath import execute_hot
from paydesk.ledger.hooks import BalanceWatch, TopupStep, balance_watches, topup_steps
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import (
    STORAGE_PLACES,
    format_money,
    from_storage_units,
    storable,
    to_decimal,
    to_storage_units,
)

DESCRIPTION_MAX = 500
# `Choices.values` builds a new list on every call; these are looked up on every payment.
STATUSES = frozenset(PaymentStatus.values)
METHODS = frozenset(PaymentMethod.values)


@dataclass(frozen=True, slots=True)
class PaidDetails:
    """What the customer was charged for a top-up: amount (surcharge included) and currency,
    the exact rate to the account currency (as text) and the surcharge, both in that currency."""

    amount: Decimal
    currency: str
    fx_rate: str
    surcharge: Decimal


def split_description(text: str) -> tuple[str, str]:
    """`PayPal 8787 #from the demo` → (`PayPal 8787`, `from the demo`): public, staff comment.
    A cancel reason is split the same way (the reason the customer sees, staff's note)."""
    public, _hash, comment = (text or "").partition("#")
    return public.strip(), comment.strip()


def checked_total(value: object, *, field: str = "total") -> Decimal:
    """A payment total: exact, non-zero, at most 4 decimals."""
    total = to_decimal(value, field=field)
    if not storable(total):
        raise InvalidAmount(f"At most {STORAGE_PLACES} decimal places, please.", field=field)
    if total == 0:
        raise InvalidAmount("A payment cannot be zero.", field=field)
    return total


def acting_user(actor: Any) -> Any:
    """The acting user, or None for the system; staff without a money role are refused."""
    if not getattr(actor, "pk", None):
        return None
    if actor.is_staff and not actor.can_move_money:
        raise PermissionDenied("Your role cannot move money.")
    return actor


def payment_snapshot(payment: Payment) -> dict[str, Any]:
    return {
        "reference": payment.reference,
        "total": str(payment.total),
        "status": payment.status,
        "method": payment.method,
        "description": payment.description,
        "staff_comment": payment.staff_comment,
        "balance_after": None if payment.balance_after is None else str(payment.balance_after),
    }


@dataclass(frozen=True, slots=True)
class Posted:
    """What moving a balance gave: the new balance, and (top-ups only) what each registered
    top-up step's probe read in the same statement (ledger/hooks.py), saving a round trip each."""

    balance: Decimal
    probes: tuple[bool, ...] = ()
    watched: tuple[BalanceWatch, ...] = ()  # the balance watches whose probe read true


# (vendor, check_credit, id(steps), id(watches)) → the balance UPDATE, and the steps and watches
# it was built for: built once, not on every posting (the probes' SQL is fixed once the apps
# have registered them; bench P1). The hooks give the same tuples until a registration
# changes them; keyed by identity, no dataclass is hashed per posting, and the tuples kept
# here cannot be freed and their ids reused.
_UPDATE_SQL: dict[tuple[Any, ...], tuple[str, tuple[Any, ...], tuple[Any, ...]]] = {}


def _update_sql(
    vendor: str,
    check_credit: bool,
    steps: tuple[TopupStep, ...],
    watches: tuple[BalanceWatch, ...],
) -> str:
    key = (vendor, check_credit, id(steps), id(watches))
    cached = _UPDATE_SQL.get(key)
    if cached is not None and cached[1] is steps and cached[2] is watches:
        return cached[0]
    qn = connection.ops.quote_name
    table = qn(Customer._meta.db_table)
    sql = f"UPDATE {table} SET {qn('balance')} = {qn('balance')} + %s WHERE {qn('id')} = %s"
    if check_credit:
        sql += f" AND {qn('balance')} + {qn('debit_limit')} + %s >= 0"
    sql += f" RETURNING {qn('balance')}"
    probes: tuple[TopupStep | BalanceWatch, ...] = (*steps, *watches)
    for probe in probes:
        sql += f", {probe.probe_sql()}"
    _UPDATE_SQL[key] = (sql, steps, watches)
    return sql


def post_to_balance(*, customer_id: int, amount: Decimal, check_credit: bool) -> Posted:
    """Add `amount` to the stored balance and return the new balance; refuse a debit past credit.

    Must run inside the caller's transaction.
    """
    units = to_storage_units(amount)
    steps = topup_steps() if amount > 0 else ()
    watches = balance_watches(debit=amount < 0)
    params: list[int] = [units, customer_id]
    if check_credit:
        params.append(units)
    params += [customer_id] * (len(steps) + len(watches))
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`, looked up on every use
    row = execute_hot(_update_sql(db.vendor, check_credit, steps, watches), params, db=db)
    if row is not None:
        read = tuple(bool(v) for v in row[1:])
        return Posted(
            balance=from_storage_units(row[0]),
            probes=read[: len(steps)],
            watched=tuple(w for w, hit in zip(watches, read[len(steps) :], strict=True) if hit),
        )
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise PaymentError("No such customer.")
    raise InsufficientCredit(
        f"This purchase of {format_money(-amount, customer.currency)} needs more credit than the "
        f"{format_money(customer.available_credit, customer.currency)} available.",
        field="total",
    )
