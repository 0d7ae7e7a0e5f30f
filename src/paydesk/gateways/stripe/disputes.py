"""Stripe's dispute reasons and statuses in words, as Finance reads them (pure: no model).

Stripe names a dispute's `reason` and `status` with codes (`fraudulent`, `needs_response`).
A code read out as it comes accuses the customer ("fraudulent") or means nothing to Finance
("needs_response"): each is worded here as what the cardholder or the bank says, neutrally.
Every value the API reference lists for the Dispute object (stripe-python 16, `Dispute.reason`
and `Dispute.status`), and `charge_refunded` of older API versions. A code not listed reads as
itself, its underscores as spaces; the code itself stays in the payment log and beside the words
on the dispute's page.
"""

from __future__ import annotations

from paydesk.gateways.coded import code_words

# `reason`: what the cardholder (or their bank) says, never a judgement of them.
REASONS: dict[str, str] = {
    "bank_cannot_process": "the customer's bank could not process the payment",
    "check_returned": "the cheque was returned",
    "credit_not_processed": "the cardholder says a refund or credit they were due was not made",
    "customer_initiated": "the customer disputed the payment without giving a reason category",
    "debit_not_authorized": "the account holder says they did not authorise the debit",
    "duplicate": "the cardholder says they were charged more than once",
    "fraudulent": "the cardholder says they did not authorise the payment",
    "general": "no reason category given by the bank",
    "incorrect_account_details": "the bank account details were incorrect",
    "insufficient_funds": "the bank account had insufficient funds",
    "noncompliant": "the card issuer says the payment did not follow the card network's rules",
    "product_not_received": "the cardholder says they did not receive what they paid for",
    "product_unacceptable": "the cardholder says what they received was faulty or not as described",
    "subscription_canceled": "the cardholder says they had cancelled the subscription",
    "unrecognized": "the cardholder does not recognise the payment",
}

# `status`: where the dispute stands at Stripe and whose move it is.
STATUSES: dict[str, str] = {
    "warning_needs_response": "Inquiry: waiting for your response (no money taken yet)",
    "warning_under_review": "Inquiry: your response is under review",
    "warning_closed": "Inquiry closed without a dispute",
    "needs_response": "Waiting for your evidence (answer in Stripe before the deadline)",
    "under_review": "Evidence sent: the card issuer is reviewing it",
    "appeal_needs_response": "Appeal: waiting for your response",
    "appeal_under_review": "Appeal: under review by the card issuer",
    "won": "Won: decided in your favour",
    "lost": "Lost: decided in the cardholder's favour",
    "prevented": "Prevented: settled before it became a dispute",
    "charge_refunded": "Closed: the payment was refunded",
}


def reason_words(code: str) -> str:
    """Stripe's dispute `reason` code in words ('' for none)."""
    return code_words(REASONS, code)


def status_words(code: str) -> str:
    """Stripe's dispute `status` code in words ('' for none)."""
    return code_words(STATUSES, code)
