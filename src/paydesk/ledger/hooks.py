"""Ledger hooks: work other apps do inside the ledger's transactions, without the ledger
importing them (the ledger sits below every other app).

Top-up steps: work another app does inside the transaction of every top-up the ledger posts,
without the ledger importing that app (the ledger sits below every other app).

A step registers (in its app's `ready()`) a probe — an SQL boolean expression with one `%s`
placeholder for the customer's id, added to the RETURNING list of the balance UPDATE so that it
costs no extra round trip — and the work to run with what the probe read. The vouchers app's
bonus step is the one there is (spec §7): its probe says whether the customer holds an armed
bonus voucher, and its work pays the bonus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class TopupStep:
    name: str
    probe_sql: Callable[[], str]  # e.g. "EXISTS (SELECT 1 FROM … WHERE customer_id = %s …)"
    run: Callable[..., Any]  # run(payment=<the completed top-up>, probed=<what the probe read>)


_STEPS: dict[str, TopupStep] = {}
# The registered steps as one tuple, kept (every top-up asks): the same object until a
# registration changes them, so a cache can key on it by identity (ledger/posting.py).
_STEPS_TUPLE: list[tuple[TopupStep, ...]] = [()]


def topup_step_register(step: TopupStep) -> None:
    """Register (or replace, by name) a step; called from an AppConfig.ready()."""
    _STEPS[step.name] = step
    _STEPS_TUPLE[0] = tuple(_STEPS.values())


def topup_steps() -> tuple[TopupStep, ...]:
    """The registered steps, in registration order (the same tuple until one registers)."""
    return _STEPS_TUPLE[0]


def topup_steps_run(*, payment: Any, probes: tuple[bool, ...]) -> None:
    """Run every step for a just-posted payment with what its probe read (False when the
    posting ran no probe: not a top-up), in the caller's transaction."""
    for index, step in enumerate(topup_steps()):
        step.run(payment=payment, probed=probes[index] if index < len(probes) else False)


# Payment changes: every payment the ledger creates, completes or cancels, told to the apps that
# listen inside the transaction of the change, after the balance moved and the top-up steps ran
# (but a listener with `with_insert`, below, writes a new payment's rows with its INSERT),
# so what they write commits or rolls back with it: the outgoing webhooks' event rows
# (docs/outgoing-webhooks.md) and the documents' credit notes, numbered in the transaction that
# completes a refund or chargeback so that a rollback takes the number back (docs/documents.md).
# `PaymentChange.completes` says whether the change is one in which the payment became Completed
# (a completion, or a payment recorded already completed). A listener that raises rolls the
# change back.

CREATED = "created"
COMPLETED = "completed"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PaymentChange:
    """What just happened to a payment: `kind` (created, completed or cancelled), and when the
    balance moved, the customer's new balance and debit limit."""

    kind: str
    payment: Any
    balance: Decimal | None = None
    debit_limit: Decimal | None = None

    @property
    def completes(self) -> bool:
        """The payment has just become Completed: completed, or created already completed."""
        return self.kind == COMPLETED or (self.kind == CREATED and self.payment.status == COMPLETED)


_LISTENERS: dict[str, Callable[[PaymentChange], object]] = {}  # what they return is unused

# A listener that only INSERTs rows may also give, for a payment being created, that INSERT as
# SQL to send in the payment's own INSERT statement (PostgreSQL: one data-modifying WITH), one
# round trip fewer per posting (bench P1). `with_insert(change)` returns (sql, params): an
# `INSERT … SELECT … FROM new_payment` (NEW_PAYMENT, whose one column is the new payment's id)
# that writes nothing when new_payment is empty: the payment's INSERT writes no row when its
# reference was drawn before, and the ledger then asks again, for the payment under a new
# reference. The payment has every field but its id. That listener is then not told of that
# change; when it errs, the payment's INSERT errs with it. Elsewhere (SQLite) that listener is
# told right after the payment's INSERT (`created_listeners_tell`): its rows come first on
# every database.
NEW_PAYMENT = "new_payment"
_WITH_INSERT: dict[str, Callable[[PaymentChange], tuple[str, list[Any]]]] = {}


def payment_listener_register(
    name: str,
    listener: Callable[[PaymentChange], object],
    *,
    with_insert: Callable[[PaymentChange], tuple[str, list[Any]]] | None = None,
) -> None:
    """Register (or replace, by name) a listener; called from an AppConfig.ready(). Listeners
    are told in registration order (INSTALLED_APPS order)."""
    _LISTENERS[name] = listener
    _WITH_INSERT.pop(name, None)
    if with_insert is not None:
        _WITH_INSERT[name] = with_insert


def created_inserts(change: PaymentChange) -> tuple[tuple[str, ...], list[tuple[str, list[Any]]]]:
    """The registered listeners that give their INSERT for a payment being created, and those
    INSERTs (sql, params), in registration order."""
    names = tuple(name for name in _LISTENERS if name in _WITH_INSERT)
    return names, [_WITH_INSERT[name](change) for name in names]


def created_listeners_tell(change: PaymentChange) -> tuple[str, ...]:
    """Where their INSERTs cannot go in the payment's statement (SQLite): tell those listeners
    right after the payment's INSERT, so that their rows come at the same point on every
    database (before what the top-up steps write). Returns their names."""
    names = tuple(name for name in _LISTENERS if name in _WITH_INSERT)
    for name in names:
        _LISTENERS[name](change)
    return names


def payment_changed(
    kind: str,
    payment: Any,
    balance: Decimal | None = None,
    debit_limit: Decimal | None = None,
    *,
    told: tuple[str, ...] = (),
) -> PaymentChange:
    """Tell every listener (but those `told` already, by their INSERT sent with the payment's),
    in the caller's transaction (a listener's failure rolls it back); the change told, for the
    follow-ups."""
    change = PaymentChange(kind=kind, payment=payment, balance=balance, debit_limit=debit_limit)
    for name, listener in tuple(_LISTENERS.items()):
        if name not in told:
            listener(change)
    return change


# Follow-ups: work another app does because of a payment change that may post further payments
# (a voucher bonus taken back with the top-up that earned it: vouchers/bonus_reversal.py), in
# the change's transaction. They run last, after the listeners and the balance watches, so that
# everything written for the change (its outgoing events, with the balance it left; its credit
# note; an alert) comes before what is written for the payments a follow-up posts. What a
# follow-up posts is a change of its own, told to every listener and follow-up in turn. A
# follow-up that raises rolls the change back.
_FOLLOW_UPS: dict[str, Callable[[PaymentChange], object]] = {}


def payment_follow_up_register(name: str, follow_up: Callable[[PaymentChange], object]) -> None:
    """Register (or replace, by name) a follow-up; called from an AppConfig.ready()."""
    _FOLLOW_UPS[name] = follow_up


def payment_follow_ups_run(change: PaymentChange) -> None:
    """Run every follow-up for a change (the one `payment_changed` told), in the caller's
    transaction, once all else is done."""
    for follow_up in tuple(_FOLLOW_UPS.values()):
        follow_up(change)


# --- balance watches -------------------------------------------------------------------------
# Work another app does when a completed posting leaves a balance somewhere it watches (the
# automatic top-up's threshold, a low-balance alert), in the posting's transaction, without the
# ledger importing that app. Like a top-up step's, the probe is an SQL boolean expression with
# one `%s` placeholder for the customer's id, added to the RETURNING list of the balance UPDATE
# of EVERY posting (credits and debits): it may name the updated customer row's new `balance`
# and its `debit_limit`, qualified by the customers' table name. `run` is called only when the
# probe read true, so a posting that leaves every watched balance alone costs no round trip.


@dataclass(frozen=True, slots=True)
class BalanceWatch:
    name: str
    probe_sql: Callable[[], str]
    run: Callable[..., Any]  # run(payment=<the completed payment>, balance=<the new balance>)
    debits_only: bool = False  # probed only when the posting takes money off the balance


_WATCHES: dict[str, BalanceWatch] = {}
# debit → the watches a posting probes, kept as `_STEPS_TUPLE` is.
_WATCHES_FOR: dict[bool, tuple[BalanceWatch, ...]] = {True: (), False: ()}


def balance_watch_register(watch: BalanceWatch) -> None:
    """Register (or replace, by name) a watch; called from an AppConfig.ready()."""
    _WATCHES[watch.name] = watch
    for debit in (True, False):
        _WATCHES_FOR[debit] = tuple(w for w in _WATCHES.values() if debit or not w.debits_only)


def balance_watches(*, debit: bool) -> tuple[BalanceWatch, ...]:
    """The watches a posting probes: all of them for a debit, the others for a credit (the
    same tuple until one registers)."""
    return _WATCHES_FOR[debit]


def balance_watches_run(*, payment: Any, balance: Any, fired: tuple[BalanceWatch, ...]) -> None:
    """Run every watch whose probe read true for a just-completed posting, in its transaction."""
    for watch in fired:
        watch.run(payment=payment, balance=balance)
