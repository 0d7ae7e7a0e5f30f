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


def topup_step_register(step: TopupStep) -> None:
    """Register (or replace, by name) a step; called from an AppConfig.ready()."""
    _STEPS[step.name] = step


def topup_steps() -> tuple[TopupStep, ...]:
    """The registered steps, in registration order."""
    return tuple(_STEPS.values())


def topup_steps_run(*, payment: Any, probes: tuple[bool, ...]) -> None:
    """Run every step for a just-posted payment with what its probe read (False when the
    posting ran no probe: not a top-up), in the caller's transaction."""
    for index, step in enumerate(topup_steps()):
        step.run(payment=payment, probed=probes[index] if index < len(probes) else False)


# Payment changes: every payment the ledger creates, completes or cancels, told to the apps that
# listen (the outgoing webhooks' event rows, docs/outgoing-webhooks.md) inside the transaction
# of the change, so what they write commits or rolls back with it.

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


_LISTENERS: dict[str, Callable[[PaymentChange], None]] = {}


def payment_listener_register(name: str, listener: Callable[[PaymentChange], None]) -> None:
    """Register (or replace, by name) a listener; called from an AppConfig.ready()."""
    _LISTENERS[name] = listener


def payment_changed(
    kind: str, payment: Any, balance: Decimal | None = None, debit_limit: Decimal | None = None
) -> None:
    """Tell every listener, in the caller's transaction (a listener's failure rolls it back)."""
    change = PaymentChange(kind=kind, payment=payment, balance=balance, debit_limit=debit_limit)
    for listener in tuple(_LISTENERS.values()):
        listener(change)
