"""SEPA Direct Debits the bank is still confirming (docs/backoffice.md, "Awaiting the bank").

A debit from a saved SEPA mandate is paid by the customer when they confirm it; Stripe then
reports its PaymentIntent `processing` for up to a few business days while the banks settle it,
and the payment stays Pending, flagged `awaiting_bank` — set only by `checkout/events` when the
gateway's event says so (`GatewayEvent.bank_confirming`), never from the reason's text. It is
neither unfinished by the customer nor money Finance may credit by hand: Stripe's
`payment_intent.succeeded` completes it, a returned debit (`payment_intent.payment_failed`)
cancels it.
"""

from __future__ import annotations

from django.db.models import Q

from paydesk.ledger.models import Payment, PaymentStatus


def awaiting_bank_q() -> Q:
    """Pending payments whose SEPA Direct Debit the bank is still confirming."""
    return Q(status=PaymentStatus.PENDING, awaiting_bank=True)


def is_awaiting_bank(payment: Payment) -> bool:
    return payment.status == PaymentStatus.PENDING and payment.awaiting_bank


AWAITING_BANK_REFUSAL = (
    "Payment {reference} is a SEPA Direct Debit the bank is still confirming: it completes when "
    "Stripe confirms the money, or is cancelled if the bank returns the debit. It cannot be "
    "completed by hand."
)
