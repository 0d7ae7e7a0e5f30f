"""Paystack webhooks: the x-paystack-signature check and charge events mapped to ours.

Pure: no model, no database, no setting. The signature is hex HMAC-SHA512 of the raw body keyed
with the secret key. Paystack may add a `t=…,v1=…` header form (unverified, notes.md): the check
is the one function `paystack_signature_verify`, which the webhook endpoint's table names, so a
new scheme replaces it there without touching the parsing.
"""

from __future__ import annotations

from paydesk.gateways.base import GatewayEvent, Outcome
from paydesk.gateways.signing import (
    fee_from,
    hmac_verify,
    json_object,
    mapping,
    money_from_minor_units,
    text,
)
from paydesk.money import Money

GATEWAY_NAME = "paystack"
SIGNATURE_HEADER = "x-paystack-signature"
PAYSTACK_EXPONENT = 2  # Paystack counts every currency in hundredths ("amount × 100")

_OUTCOMES = {"charge.success": Outcome.COMPLETED}


def paystack_amount_rule(
    *, charged: Money | None, requested: Money | None, fees: Money | None
) -> tuple[Money | None, Money | None]:
    """Paystack's amount rule (docs/gateways/paystack.md): which amount is compared with the
    quote, and which fee is the provider's.

    `requested_amount` is what Paydesk initialised. When the provider bears the fees, `amount`
    equals it and `fees` are the provider's. When the customer bears them, `amount` =
    requested_amount + fees: the requested amount is compared and the fee is not the provider's
    (nothing to deduct). Any other `amount` is reported as charged, so the core refuses it as a
    mismatch. Without `requested_amount`, `amount` is compared.
    """
    if requested is None or charged == requested:
        return charged, fees
    if charged is not None and fees is not None and charged == requested + fees:
        return requested, None
    return charged, None


def paystack_signature_verify(*, body: bytes, signature: str | None, secret: str) -> None:
    """WebhookSignatureInvalid unless `signature` is HMAC-SHA512(secret key, raw body)."""
    hmac_verify(secret=secret, message=body, signature=signature, digest="sha512")


def parse_paystack_event(body: bytes) -> GatewayEvent | None:
    """Our event for `charge.success`; None for any other type.

    Paystack sends no event id: the transaction id (or our reference) with the event name is
    the de-duplication key.
    """
    event = json_object(body)
    kind = text(event.get("event"))
    outcome = _OUTCOMES.get(kind)
    if outcome is None:
        return None
    data = mapping(event.get("data"))
    if text(data.get("status")) != "success":
        return None
    currency = text(data.get("currency"))
    charged = money_from_minor_units(data.get("amount"), currency, exponent=PAYSTACK_EXPONENT)
    requested = money_from_minor_units(
        data.get("requested_amount"), currency, exponent=PAYSTACK_EXPONENT
    )
    fees = money_from_minor_units(data.get("fees"), currency, exponent=PAYSTACK_EXPONENT)
    amount, fees = paystack_amount_rule(charged=charged, requested=requested, fees=fees)
    reference = text(data.get("reference"))
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=f"{kind}:{text(data.get('id')) or reference}",
        outcome=outcome,
        payment_reference=reference,
        transaction_id=text(data.get("id")),
        amount=amount,
        fee=fee_from(fees, amount),
        summary={
            "event": kind,
            "status": text(data.get("status")),
            "transaction_id": text(data.get("id")),
            "reference": reference,
            "amount": str(charged or ""),
            "requested_amount": str(requested or ""),
            "channel": text(data.get("channel")),
            "gateway_response": text(data.get("gateway_response")),
        },
    )
