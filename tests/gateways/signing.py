"""Signatures and signed texts as a gateway makes them, for the tests that play the gateway or
reproduce a published vector. Test-only: Paydesk verifies (paydesk.gateways.*.webhooks), it
never signs in a gateway's name."""

from __future__ import annotations

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.nowpayments.webhooks import _parsed, _write
from paydesk.gateways.signing import hmac_hex


def razorpay_payment_signature(*, order_id: str, payment_id: str, key_secret: str) -> str:
    """The signature Razorpay Checkout returns for this order and payment."""
    return hmac_hex(secret=key_secret, message=f"{order_id}|{payment_id}".encode(), digest="sha256")


def nowpayments_signed_text_top_level(body: bytes) -> str:
    """NOWPayments' older documented form, `JSON.stringify(params, Object.keys(params).sort())`:
    that key list filters nested objects too. It reproduces the old vector; Paydesk never
    accepts it (nested fields would be unsigned)."""
    parsed = _parsed(body)
    if not isinstance(parsed, dict):
        raise WebhookSignatureInvalid("The IPN body is not a JSON object.")
    return _write(parsed, sorted(parsed, key=lambda k: k.encode("utf-16-be", "surrogatepass")))
