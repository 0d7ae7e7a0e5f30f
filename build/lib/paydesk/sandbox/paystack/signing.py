"""Paystack's webhook signature, made by the sandbox itself from Paystack's documentation
("Verify event origin"), never with Paydesk's code: `x-paystack-signature` = hex HMAC-SHA512 of
the raw body, keyed with the integration's secret key."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "x-paystack-signature"


def paystack_signature(body: bytes, secret_key: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), body, hashlib.sha512).hexdigest()
