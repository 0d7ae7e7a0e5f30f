"""What arrived for a top-up, as the app that took it in recorded it, for its receipt: a bank
transfer's approval says how much arrived in which currency, and the day's rate that credited it
(docs/banktransfers.md). Documents sit below that app and do not import it: it registers its
reader here (in its AppConfig.ready()), as the ledger's hooks are registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from paydesk.ledger.models import Payment


@dataclass(frozen=True, slots=True)
class Received:
    """`amount` of `currency` arrived; 1 `currency` = `rate` account currency, the rate of
    `rate_date`, credited it."""

    amount: Decimal
    currency: str
    rate: Decimal
    rate_date: date


_READERS: dict[str, Callable[[Payment], Received | None]] = {}


def received_reader_register(name: str, reader: Callable[[Payment], Received | None]) -> None:
    """Register (or replace, by name) a reader: `reader(payment)` is what arrived for that
    completed payment, or None when it is not one of the registering app's."""
    _READERS[name] = reader


def received_of(payment: Payment) -> Received | None:
    """What arrived for `payment`, as the first reader that knows it says; None when none does."""
    for reader in _READERS.values():
        received = reader(payment)
        if received is not None:
            return received
    return None
