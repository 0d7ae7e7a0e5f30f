"""Stripe webhooks: the Stripe-Signature check and the mapping of PaymentIntent events to ours.

Pure: no model, no database, no setting. The signature is checked on the raw body before it is
parsed. Written by hand (HMAC-SHA256 over "{t}.{body}", any v1 may match, 300 s tolerance) rather
than through the `stripe` SDK: it is fifteen lines and needs no HTTP client; the SDK comes with the
card client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from paydesk.errors import PaydeskError, WebhookSignatureInvalid
from paydesk.gateways.base import AnyGatewayEvent, GatewayEvent, Outcome
from paydesk.gateways.signing import (
    hmac_hex,
    json_object,
    mapping,
    money_from_minor_units,
    signature_matches,
    text,
)
from paydesk.gateways.stripe.declines import customer_reason
from paydesk.money import currency_exponent, normalize_currency

GATEWAY_NAME = "card"  # Payment.gateway of a card payment: the method's name (gateways/base.py)
SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
# The PaymentIntent metadata key our card client sets to the payment's reference.
REFERENCE_KEY = "paydesk_reference"

# The Stripe API version every request speaks (`Stripe-Version`, client.py), pinned rather than
# left to the SDK: upgrading `stripe` must not silently change the API (test_stripe_api_version.py
# fails until this is moved to the new SDK's version, after reading Stripe's changelog in
# between). The webhook endpoint in Stripe's Dashboard must be set to the same version
# (docs/gateways/stripe.md); an event in another version is logged.
STRIPE_API_VERSION = "2026-10-28.endive"

logger = logging.getLogger("paydesk.gateways")

# Stripe's own minor units where they differ from ISO 4217 (docs: "zero-decimal currencies").
_STRIPE_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD JOD KWD OMR TND".split(), 3),
}

# A SEPA debit's PaymentIntent `processing`: the banks take days to settle it (methods/in_transit).
SEPA_PROCESSING = (
    "The SEPA Direct Debit is on its way: banks take up to a few business days to confirm it. "
    "The payment completes when Stripe confirms the money."
)

_OUTCOMES = {
    "payment_intent.succeeded": Outcome.COMPLETED,
    "payment_intent.payment_failed": Outcome.CANCELLED,
    "payment_intent.canceled": Outcome.CANCELLED,
    "payment_intent.processing": Outcome.PENDING,
    "payment_intent.requires_action": Outcome.PENDING,
}


def sepa_debit(intent: Mapping[str, Any]) -> bool:
    """A PaymentIntent that debits a bank account (SEPA Direct Debit), not a card."""
    types = intent.get("payment_method_types")
    return isinstance(types, list) and "sepa_debit" in types


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts have in `currency`."""
    code = normalize_currency(currency)
    return _STRIPE_EXPONENTS.get(code, currency_exponent(code))


def stripe_signature_verify(
    *,
    body: bytes,
    header: str | None,
    secret: str,
    now: int | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """WebhookSignatureInvalid unless `header` (t=…,v1=…[,v1=…]) signs `body` within tolerance."""
    if not secret:
        raise WebhookSignatureInvalid("No Stripe webhook secret is set.")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1" and value:
            signatures.append(value)
    timestamp = timestamps[0] if timestamps else ""  # the first t, as Stripe's library reads it
    # ASCII digits only (str.isdigit also takes '²' and other scripts' digits, which int()
    # refuses or reads as another number), and few enough for int(): else it is malformed.
    readable = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20
    if not readable or not signatures:
        raise WebhookSignatureInvalid("The Stripe-Signature header is missing or malformed.")
    expected = hmac_hex(secret=secret, message=timestamp.encode() + b"." + body, digest="sha256")
    if not any(signature_matches(expected=expected, given=given) for given in signatures):
        raise WebhookSignatureInvalid("The Stripe signature does not match the body.")
    clock = int(time.time()) if now is None else now
    if abs(clock - int(timestamp)) > tolerance:
        raise WebhookSignatureInvalid("The Stripe signature's timestamp is outside the tolerance.")


def parse_stripe_event(body: bytes) -> AnyGatewayEvent | None:
    """Our event for a PaymentIntent, refund or dispute event (returns.py); None for any other
    type, and for any event a connected account originated (acknowledged, ignored)."""
    # returns.py reads this module's constants: imported here, not at the top, to avoid a cycle.
    from paydesk.gateways.stripe.returns import parse_stripe_return

    event = json_object(body)
    kind = text(event.get("type"))
    version = text(event.get("api_version"))
    if version and version != STRIPE_API_VERSION:
        # Stripe writes an event in its webhook endpoint's API version: another one may shape
        # the objects otherwise than parsed here. Read all the same (the fields read have kept
        # their names), and said where the operator will see it.
        logger.warning(
            "Stripe event %s is written in API version %s; Paydesk speaks %s. Set the webhook "
            "endpoint's API version in Stripe's Dashboard (docs/gateways/stripe.md).",
            text(event.get("id"))[:80],
            version[:40],
            STRIPE_API_VERSION,
        )
    if text(event.get("account")):
        # Originated by a connected account (Stripe Connect): another merchant's money, never
        # ours to credit, refund or charge back, whatever its metadata names. Acknowledged.
        logger.warning(
            "Stripe event %s of connected account %s ignored: not this account's money.",
            text(event.get("id"))[:80],
            text(event.get("account"))[:80],
        )
        return None
    if kind.startswith(("refund.", "charge.refund", "charge.dispute.")):
        return parse_stripe_return(event, kind)
    outcome = _OUTCOMES.get(kind)
    intent = mapping(mapping(event.get("data")).get("object"))
    if outcome is None or text(intent.get("object")) != "payment_intent":
        return None
    currency = text(intent.get("currency"))
    try:
        exponent: int | None = stripe_exponent(currency)
    except PaydeskError:  # an unknown code gives no amount: a completion is then refused
        exponent = None
    amount = (
        money_from_minor_units(
            intent.get("amount_received") if outcome is Outcome.COMPLETED else intent.get("amount"),
            currency,
            exponent=exponent,
        )
        if exponent is not None
        else None
    )
    error = mapping(intent.get("last_payment_error"))
    reason = customer_reason(error) or text(intent.get("cancellation_reason"))
    bank_confirming = kind == "payment_intent.processing" and sepa_debit(intent)
    if bank_confirming:
        reason = SEPA_PROCESSING
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=text(event.get("id")),
        outcome=outcome,
        payment_reference=text(mapping(intent.get("metadata")).get(REFERENCE_KEY)),
        gateway_reference=text(intent.get("id")),
        transaction_id=text(intent.get("id")),
        amount=amount,
        reason=reason[:300] or ("Declined by the card issuer." if kind.endswith("failed") else ""),
        in_flight=bank_confirming,
        bank_confirming=bank_confirming,
        summary={
            "type": kind,
            "status": text(intent.get("status")),
            "payment_intent": text(intent.get("id")),
            "decline_code": text(error.get("decline_code")),
            "error_code": text(error.get("code")),
            "error_message": text(error.get("message"))[:300],
        },
    )
