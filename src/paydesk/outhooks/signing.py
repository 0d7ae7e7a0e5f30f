"""The signature every delivery carries (docs/outgoing-webhooks.md):

    Paydesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The key is the endpoint's whole secret (`whsec_…`) as UTF-8 bytes. Receivers recompute it over
the raw body bytes, compare in constant time, and refuse a `t` older than their tolerance
(we advise 5 minutes) to refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Paydesk-Signature"


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
