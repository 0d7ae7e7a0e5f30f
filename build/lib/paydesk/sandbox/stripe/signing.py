"""Stripe's webhook signature, made by the sandbox itself from Stripe's documentation ("Verify
webhook signatures manually"), never with Paydesk's code:

    Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{raw body}", keyed with whsec_…>

Stripe signs every delivery, retries included, at the time it sends it.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Stripe-Signature"


def stripe_signature(body: bytes, *, secret: str, timestamp: int) -> str:
    """The header's value for `body` sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
