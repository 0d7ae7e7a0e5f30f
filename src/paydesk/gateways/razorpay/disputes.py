"""Razorpay's dispute reasons, statuses and phases in words, as Finance reads them (pure: no
model).

Razorpay names a dispute with three codes: `reason_code`
(`goods_or_services_not_received_or_partially_received`), `status` (`open`, `under_review`) and
`phase` (`chargeback`, `fraud`). Read out as they come they are codes Finance has to learn, and a
phase of `fraud` accuses the customer. Each is worded here as what the customer (or their bank)
says, neutrally, and a status as whose move it is. Every status and phase of the Disputes API's
dispute entity and of Razorpay's "About Disputes" phases; every `reason_code` Razorpay's docs and
SDK show (its API reference, its dispute webhook payloads, razorpay-python's dispute fixtures):
Razorpay publishes no list of reason codes, so a code not listed reads as itself, its underscores
as spaces. The codes stay in the payment log and beside the words on the dispute's page.

The words come from `reason_code`, never from Razorpay's free-text `reason_description`: the
text is whatever the bank or Razorpay wrote (it may call the payment fraudulent, and its wording
can change without notice), so Paydesk cannot vouch that it is neutral, nor word a reason stored
as a code in the same words later (gateways/dispute_words.py). The text is kept in the payment
log's summary for Finance to read beside Razorpay's dashboard.
"""

from __future__ import annotations

from paydesk.gateways.coded import code_and_detail, code_words

# `reason_code`: what the customer (or their bank) says, never a judgement of them.
REASONS: dict[str, str] = {
    "goods_or_services_not_received_or_partially_received": (
        "the customer says they did not receive what they paid for, or only part of it"
    ),
    "processed_invalid_expired_card": (
        "the customer's bank says the card was invalid or expired when it was charged"
    ),
    "non_matching_account_number": (
        "the customer's bank says the card number does not match its records"
    ),
    "warning_bulletin_or_exception_file": (
        "the customer's bank says the card was on the card network's warning list when charged"
    ),
    "chargeback": "the customer asked their bank to reverse the payment (no reason category given)",
    "pre_arbitration": "the customer challenged the payment again after you won the chargeback",
}

# `status`: where the dispute stands at Razorpay and whose move it is.
STATUSES: dict[str, str] = {
    "open": "Waiting for your response: accept or contest it in Razorpay before the deadline",
    "under_review": "Your evidence was sent: the customer's bank is reviewing it",
    "won": "Won: decided in your favour",
    "lost": "Lost: you accepted it, or it was decided in the customer's favour",
    "closed": "Closed at Razorpay: nothing more to do",
}

# `phase`: how far the dispute has gone, kept beside the status as "open (chargeback)".
PHASES: dict[str, str] = {
    "retrieval": "retrieval, the bank's request for the payment's details, not yet a chargeback",
    "chargeback": "chargeback, the customer's claim through their bank",
    "pre_arbitration": "pre-arbitration, the claim made again after you won",
    "arbitration": "arbitration, decided by the card network",
    "fraud": "risk review, raised by the customer's bank after its own checks",
}


def reason_words(code: str) -> str:
    """Razorpay's dispute `reason_code` in words ('' for none)."""
    return code_words(REASONS, code)


def phase_words(code: str) -> str:
    """Razorpay's dispute `phase` in words ('' for none)."""
    return code_words(PHASES, code)


def status_words(code: str) -> str:
    """Razorpay's dispute `status` in words, with its phase when it has one ("open
    (chargeback)", as refunds.py keeps it in `gateway_status`); '' for none."""
    status, phase = code_and_detail(code)
    words = code_words(STATUSES, status)
    return words if phase is None else f"{words} (stage: {phase_words(phase)})"
