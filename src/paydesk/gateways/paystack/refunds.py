"""Paystack's Refunds API, the two calls Paydesk makes (httpx through GatewayHttp):

- `POST /refund` `{transaction, amount, currency, customer_note, merchant_note}` → the refund
  (`data.id`, `data.status`: `pending`, `processing`, `processed`, `failed`, `needs-attention`);
- `GET /refund?transaction=<id>&perPage=…&page=…` → the refunds of a transaction.

Paystack takes no idempotency key for a refund. Paydesk's retry never refunds twice because the
merchant note carries the Paydesk refund's reference (`[paydesk:<reference>]`) and the adapter
lists the transaction's refunds for that marker before it asks for a new one. The list filter
`transaction` is not in the OpenAPI file's parameters (Paystack's API reference names it): the
answer is filtered again here by each refund's `transaction`, and at most MAX_PAGES pages are
read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.signing import mapping, money_from_minor_units, text
from paydesk.money import Money

PAYSTACK_EXPONENT = 2
MARKER = re.compile(r"\[paydesk:([A-Za-z0-9.=-]{1,60})\]")
PER_PAGE = 100
MAX_PAGES = 10


def refund_marker(refund_reference: str) -> str:
    """What Paydesk puts in a refund's merchant note so the refund names its Paydesk row."""
    return f"[paydesk:{refund_reference}]"


def marked_reference(note: object) -> str:
    """The Paydesk refund reference a merchant note carries, or ''."""
    found = MARKER.search(text(note))
    return found.group(1) if found else ""


def minor_units(value: object) -> int | None:
    """Paystack's amount: an integer, or digits in a string (its refund webhooks send both)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class PaystackRefund:
    """One refund as Paystack shows it (amount as Money; None when unusable)."""

    id: str
    transaction_id: str
    transaction_reference: str
    status: str
    amount: Money | None
    merchant_note: str
    refund_reference: str  # ours, from the merchant note's marker
    dispute: bool  # made by Paystack for a dispute the merchant accepted

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PaystackRefund:
        transaction = data.get("transaction")
        if isinstance(transaction, dict):  # POST /refund answers the transaction object
            transaction_id = text(transaction.get("id"))
            reference = text(transaction.get("reference"))
        else:  # the list and fetch answer its id
            transaction_id = text(transaction)
            reference = text(data.get("transaction_reference"))
        currency = text(data.get("currency")).upper()
        return cls(
            id=text(data.get("id")),
            transaction_id=transaction_id,
            transaction_reference=reference,
            status=text(data.get("status")).lower(),
            amount=money_from_minor_units(
                minor_units(data.get("amount")), currency, exponent=PAYSTACK_EXPONENT
            ),
            merchant_note=text(data.get("merchant_note"))[:300],
            refund_reference=marked_reference(data.get("merchant_note")),
            dispute=bool(data.get("dispute")),
        )


def refund_body(
    *, transaction: str, amount_units: int, currency: str, refund_reference: str, reason: str
) -> dict[str, Any]:
    note = f"{refund_marker(refund_reference)} {reason}".strip()[:250]
    return {
        "transaction": transaction,
        "amount": amount_units,
        "currency": currency,
        "customer_note": (reason or "Refund")[:250],
        "merchant_note": note,
    }


def refund_answer(body: object) -> PaystackRefund:
    """The refund in a 200 answer of POST /refund; GatewayUnavailable when it has none."""
    envelope = mapping(body)
    data = mapping(envelope.get("data"))
    if envelope.get("status") is not True or not data.get("id"):
        raise GatewayUnavailable("Paystack's refund answer had no refund.")
    return PaystackRefund.from_data(dict(data))


def refund_page(body: object) -> tuple[list[PaystackRefund], int]:
    """The refunds of one page of GET /refund, and how many pages there are."""
    envelope = mapping(body)
    items = envelope.get("data")
    if envelope.get("status") is not True or not isinstance(items, list):
        raise GatewayUnavailable("Paystack's refund list had no refunds.")
    meta = mapping(envelope.get("meta"))
    pages = meta.get("pageCount")
    refunds = [PaystackRefund.from_data(item) for item in items if isinstance(item, dict)]
    return refunds, pages if isinstance(pages, int) and pages > 0 else 1


def refund_refusal(message: str) -> GatewayError:
    return GatewayError(f"Paystack refused the refund: {message}")
