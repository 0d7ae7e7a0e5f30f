"""Paystack's dispute categories and statuses in words, as Finance reads them (pure: no model).

Paystack names a dispute's `category` and `status` with codes (`fraud`,
`awaiting-merchant-feedback`), and a resolved dispute's `resolution` too (`merchant-accepted`,
`declined`). A category read out as it comes accuses the customer ("fraud"); a status is a code
Finance has to learn. Each is worded here as what the customer says, neutrally, and whose move
it is. Every value Paystack documents: the dispute `status` enumeration of the API reference
(`GET /dispute`: four values) and `archived`, which Paystack's client libraries list besides; the
two categories its disputes guide names (a chargeback, a fraud claim); the two resolutions of
`PUT /dispute/{id}/resolve`. A code not listed reads as itself, its hyphens and underscores as
spaces; the code itself stays in the payment log and beside the words on the dispute's page.
"""

from __future__ import annotations

from paydesk.gateways.coded import code_and_detail, code_words

# `category`: what the customer (or their bank) says, never a judgement of them.
REASONS: dict[str, str] = {
    "chargeback": "the customer says they did not receive what they paid for, or not as promised",
    "fraud": "the cardholder says they did not authorise the payment or do not recognise it",
}

# `status`: where the dispute stands at Paystack and whose move it is.
STATUSES: dict[str, str] = {
    "awaiting-merchant-feedback": (
        "Waiting for your response (accept or decline in Paystack before the deadline)"
    ),
    "awaiting-bank-feedback": "Your response was sent: waiting for the customer's bank",
    "pending": "Pending: Paystack is processing it",
    "resolved": "Resolved",
    "archived": "Archived at Paystack: nothing more to do",
}

# `resolution` of a resolved dispute: Paydesk keeps it beside the status, "resolved (declined)".
RESOLUTIONS: dict[str, str] = {
    "merchant-accepted": "you accepted it and the customer is refunded",
    "declined": "you declined it and the payment stands",
}


def reason_words(code: str) -> str:
    """Paystack's dispute `category` in words ('' for none)."""
    return code_words(REASONS, code)


def status_words(code: str) -> str:
    """Paystack's dispute `status` in words, with its resolution when it has one
    ("resolved (declined)", as events.py keeps it in `gateway_status`); '' for none."""
    status, resolution = code_and_detail(code)
    where = code_words(STATUSES, status)
    return where if resolution is None else f"{where}: {code_words(RESOLUTIONS, resolution)}"
