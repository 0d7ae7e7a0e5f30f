"""Razorpay's two signatures, made by the sandbox itself from Razorpay's documentation (never
with Paydesk's code, so that a mistake there cannot be mirrored here):

- a webhook: `X-Razorpay-Signature` = hex HMAC-SHA256 of the raw body, keyed with the webhook
  secret set in Razorpay's dashboard (not the key secret), with `X-Razorpay-Event-Id` naming the
  delivery;
- Checkout's answer to the merchant page: `razorpay_signature` = hex HMAC-SHA256 of
  "{order_id}|{payment_id}", keyed with the API key secret.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Razorpay-Signature"
EVENT_ID_HEADER = "X-Razorpay-Event-Id"


def webhook_signature(body: bytes, webhook_secret: str) -> str:
    """The X-Razorpay-Signature of `body`, exactly as sent."""
    return hmac.new(webhook_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def checkout_signature(order_id: str, payment_id: str, key_secret: str) -> str:
    """What Razorpay Checkout hands the merchant page as `razorpay_signature`."""
    message = f"{order_id}|{payment_id}".encode()
    return hmac.new(key_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
