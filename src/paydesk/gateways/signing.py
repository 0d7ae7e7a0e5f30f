"""What every gateway's webhooks.py shares: HMAC signatures compared in constant time, JSON read
with exact numbers, and amounts turned from a gateway's encoding into Money at the edge.

Pure functions: no model, no database, no setting, no logging. A signature check raises
WebhookSignatureInvalid and never says which part was wrong beyond one line without secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from paydesk.errors import GatewayError, PaydeskError, WebhookSignatureInvalid
from paydesk.money import Money, currency_exponent, to_decimal


def hmac_hex(*, secret: str, message: bytes, digest: str) -> str:
    """Hex HMAC of `message` keyed with the UTF-8 bytes of `secret` (digest: sha256, sha512)."""
    return hmac.new(secret.encode("utf-8"), message, getattr(hashlib, digest)).hexdigest()


def signature_matches(*, expected: str, given: str) -> bool:
    """Constant-time comparison of two hex signatures (case-insensitive, as hex is)."""
    return hmac.compare_digest(
        expected.lower().encode("ascii"), given.strip().lower().encode("ascii", "replace")
    )


def hmac_verify(*, secret: str, message: bytes, signature: str | None, digest: str) -> None:
    """WebhookSignatureInvalid unless `signature` is the hex HMAC of `message`."""
    if not secret:
        raise WebhookSignatureInvalid("No secret is set to check this signature.")
    if not signature:
        raise WebhookSignatureInvalid("The signature header is missing.")
    if not signature_matches(
        expected=hmac_hex(secret=secret, message=message, digest=digest), given=signature
    ):
        raise WebhookSignatureInvalid("The signature does not match the body.")


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, every fractional number a Decimal (never a float)."""
    try:
        value = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise GatewayError("The notification is not JSON.") from error
    if not isinstance(value, dict):
        raise GatewayError("The notification is not a JSON object.")
    return value


def mapping(value: object) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one (a missing part reads as empty)."""
    return value if isinstance(value, dict) else {}


def text(value: object) -> str:
    """A JSON string or integer as text; anything else (null, objects) as ''."""
    if isinstance(value, bool) or value is None:
        return ""
    return str(value) if isinstance(value, str | int) else ""


def money_from_minor_units(
    units: object, currency: object, *, exponent: int | None = None
) -> Money | None:
    """Money from an integer of minor units (Stripe, Razorpay, Paystack), or None if unusable.

    `exponent` overrides ISO 4217 where the gateway counts differently (Stripe, Paystack).
    """
    if isinstance(units, bool) or not isinstance(units, int) or not isinstance(currency, str):
        return None
    try:
        places = currency_exponent(currency) if exponent is None else exponent
        return Money(Decimal(units).scaleb(-places), currency)
    except PaydeskError:
        return None


def money_from_decimal(value: object, currency: object) -> Money | None:
    """Money from a decimal string or an exact JSON number (PayPal, NOWPayments), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    if not isinstance(currency, str):
        return None
    try:
        return Money(to_decimal(value), currency)
    except PaydeskError:
        return None


def fee_from(value: Money | None, charged: Money | None) -> Decimal | None:
    """A gateway fee as a Decimal in the charged currency; None when absent or in another one."""
    if value is None or value.amount < 0:
        return None
    if charged is not None and value.currency != charged.currency:
        return None
    return value.amount
