"""Payment references drawn twice: the stdlib's random source (`secrets.randbits`, which
paydesk.references draws from) patched so that the next payment references are one and the
same. A reference has 50 random bits; over tens of millions of payments one is drawn twice."""

from __future__ import annotations

import secrets
from typing import Any

from paydesk.references import PAYMENT_REFERENCE_LENGTH

REFERENCE_BITS = 5 * PAYMENT_REFERENCE_LENGTH


def references_drawn_alike(monkeypatch: Any, times: int) -> None:
    """The next `times` payment references drawn are equal (every other draw, a voucher code's
    say, is the stdlib's own)."""
    real = secrets.randbits
    bits = real(REFERENCE_BITS)
    left = [times]

    def randbits(k: int) -> int:
        if k == REFERENCE_BITS and left[0] > 0:
            left[0] -= 1
            return bits
        return real(k)

    monkeypatch.setattr(secrets, "randbits", randbits)
