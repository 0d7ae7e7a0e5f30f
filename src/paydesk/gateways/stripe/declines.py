"""What a customer reads when Stripe says a card or a mandate was not accepted.

Stripe's `last_payment_error.message` is meant for cardholders for most declines ("Your card has
insufficient funds.") but not for a failed 3-D Secure: "The provided PaymentMethod has failed
authentication. You can provide payment_method_data or a new PaymentMethod…" is developer text.
That one is replaced by plain words; Stripe's own text stays in the payment log (the summaries
keep `message`), never on a customer's page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AUTHENTICATION_FAILED = (
    "Your bank did not confirm the card. No money was taken. Try again or use another card."
)
SETUP_AUTHENTICATION_FAILED = (
    "Your bank did not confirm the card, so it was not saved. Try again or use another card."
)
# Stripe's error codes for a failed or abandoned authentication (docs "Error codes").
_PAYMENT_AUTHENTICATION = "payment_intent_authentication_failure"
_SETUP_AUTHENTICATION = "setup_intent_authentication_failure"


def customer_reason(error: Mapping[str, Any]) -> str:
    """Stripe's `last_payment_error` / `last_setup_error` as the customer reads it ('' when it
    says nothing)."""
    code = str(error.get("code") or "")
    if code == _PAYMENT_AUTHENTICATION:
        return AUTHENTICATION_FAILED
    if code == _SETUP_AUTHENTICATION:
        return SETUP_AUTHENTICATION_FAILED
    message = error.get("message")
    return message if isinstance(message, str) else ""
