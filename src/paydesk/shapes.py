"""A payment as the customer reads it, wherever Paydesk shows it: its description
(`description_shown`, the one rule) and its JSON shape (`payment_out`, money as `money`).

A chargeback row's description keeps the reason its dispute had when it was posted; before the
gateways' reasons had words, that was the gateway's code ("Chargeback of PD-…: fraudulent"). A
completed row is never edited, so the code is worded where the row is shown
(gateways/dispute_words.py): the portal's pages, its CSV, the API and its webhooks, the back
office. Every other description reads as it was stored. The stored code stays on the row and on
its dispute (the staff API's `/api/v1/staff/disputes` `reason`), and in the payment log.

The API's schemas (paydesk.api.schemas) and the outgoing webhooks' payloads (paydesk.outhooks)
use `payment_out`, so an event carries the object exactly as the API returns it. Never the staff
comment. Not in the ledger: the words are the gateways', which the ledger never imports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paydesk.gateways.dispute_words import (
    chargeback_description_words,
    chargeback_stored_patterns,
)
from paydesk.ledger.models import Payment, PaymentRelation
from paydesk.ledger.refund_reads import refunded_of
from paydesk.money import plain_amount

_CHARGEBACK = PaymentRelation.CHARGEBACK.value


def description_shown(description: str, relation: str, method: str) -> str:
    """A description as the customer reads it: a chargeback row's (`relation`) with its reason in
    the words of the gateway serving `method`; any other as stored. Only a chargeback pays for
    the words (the CSV calls this on every row of up to a million)."""
    if relation != _CHARGEBACK:
        return description
    return chargeback_description_words(method, description)


def payment_description_shown(payment: Any) -> str:
    """`payment.description` as the customer reads it (`description_shown`)."""
    return description_shown(payment.description, payment.relation, payment.method)


def description_search_also(text: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """What a search for `text` in descriptions must match besides the stored text, to find
    the descriptions as `description_shown` words them: the chargeback rows stored with a
    gateway's code whose words contain `text` (ledger.selectors.PaymentFilters.text_stored_as).
    Empty for a search no reason's words contain (nearly all)."""
    return chargeback_stored_patterns(text)


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": plain_amount(amount, currency), "currency": currency}


def payment_out(payment: Payment, currency: str, *, show_balance: bool) -> dict[str, object]:
    """A payment as a customer may see it (no staff comment); `balance_after` only where the
    customer's portal shows the balance (ledger.access.balance_visible), else null."""
    refunded = refunded_of(payment)
    return {
        "reference": payment.reference,
        "status": payment.status,
        "method": payment.method,
        "description": payment_description_shown(payment),
        "total": money(payment.total, currency),
        "created_at": payment.created_at,
        "occurred_at": payment.occurred_at,
        "completed_at": payment.completed_at,
        "cancelled_at": payment.cancelled_at,
        "balance_after": None
        if payment.balance_after is None or not show_balance
        else money(payment.balance_after, currency),
        "reason": payment.cancel_reason or payment.pending_reason,
        # Rare (late payments): read only for the rows that have one.
        "original": payment.original.reference if payment.original is not None else "",
        "relation": payment.relation,
        "refunded": None if refunded is None else money(refunded, currency),
    }
