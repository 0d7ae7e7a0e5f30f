"""PayPal's dispute reasons and statuses in words, as Finance reads them (pure: no model).

PayPal names a dispute's `reason` and `status` with codes (`UNAUTHORISED`,
`WAITING_FOR_SELLER_RESPONSE`); each is worded here as what the buyer says, neutrally, and whose
move it is. Every value of the Customer Disputes API v1's `dispute_reason` and dispute `status`
enumerations. A code not listed reads as itself, lower case, its underscores as spaces; the code
itself stays in the payment log and beside the words on the dispute's page.
"""

from __future__ import annotations

from paydesk.gateways.coded import code_words

# `reason`: what the buyer says, never a judgement of them.
REASONS: dict[str, str] = {
    "MERCHANDISE_OR_SERVICE_NOT_RECEIVED": "the buyer says they did not receive what they paid for",
    "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED": (
        "the buyer says what they received was not as described"
    ),
    "UNAUTHORISED": "the buyer says they did not authorise the payment",
    "CREDIT_NOT_PROCESSED": "the buyer says a refund or credit they were due was not made",
    "DUPLICATE_TRANSACTION": "the buyer says they were charged more than once",
    "INCORRECT_AMOUNT": "the buyer says they were charged the wrong amount",
    "PAYMENT_BY_OTHER_MEANS": "the buyer says they paid by other means",
    "CANCELED_RECURRING_BILLING": "the buyer says they had cancelled the recurring payment",
    "PROBLEM_WITH_REMITTANCE": "the buyer reports a problem with the remittance",
    "OTHER": "no reason category given",
}

# `status`: where the dispute stands at PayPal and whose move it is.
STATUSES: dict[str, str] = {
    "OPEN": "Open at PayPal",
    "WAITING_FOR_BUYER_RESPONSE": "Waiting for the buyer's response",
    "WAITING_FOR_SELLER_RESPONSE": (
        "Waiting for your response (answer in PayPal before the deadline)"
    ),
    "UNDER_REVIEW": "Under review by PayPal",
    "RESOLVED": "Resolved",
    "OTHER": "Other (see the case at PayPal)",
}


def reason_words(code: str) -> str:
    """PayPal's dispute `reason` code in words ('' for none)."""
    return code_words(REASONS, code, lower=True)


def status_words(code: str) -> str:
    """PayPal's dispute `status` code in words ('' for none)."""
    return code_words(STATUSES, code, lower=True)
