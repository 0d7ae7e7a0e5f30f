"""Human-facing codes: payment references now, voucher codes later.

Crockford base32 (no I, L, O, U: nothing to misread), random from `secrets`, grouped for reading,
ending in a Luhn mod 32 check character that catches every single-character typo and most
swapped neighbours before any database lookup. Written by hand: no maintained library does
Luhn mod N over Crockford's alphabet.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding of look-alikes.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_character(body: str) -> str:
    n = len(ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_code(length: int, group: int = 5) -> str:
    """`length` random characters plus a check character, grouped with hyphens."""
    # The alphabet has 32 = 2**5 characters: five random bits pick one, uniformly, so one draw
    # of 5 × length bits serves the whole body (a million-row import makes a million of these).
    bits = secrets.randbits(5 * length)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))
    return group_code(body + _check_character(body), group)


def group_code(raw: str, group: int = 5) -> str:
    return "-".join(raw[i : i + group] for i in range(0, len(raw), group))


def normalize_code(text: str) -> str:
    """Upper-case, look-alikes decoded, spaces and hyphens dropped."""
    return "".join(ch for ch in text.upper().translate(_ALIASES) if ch not in " -\t")


def is_valid_code(text: str, length: int | None = None) -> bool:
    """True when the code is well-formed and its check character matches."""
    raw = normalize_code(text)
    if len(raw) < 2 or any(ch not in _INDEX for ch in raw):
        return False
    if length is not None and len(raw) != length + 1:
        return False
    return _check_character(raw[:-1]) == raw[-1]


PAYMENT_REFERENCE_LENGTH = 10  # 50 random bits


def new_payment_reference() -> str:
    """A payment's public reference, such as `7KQ2M-9XA4Z-P`."""
    return new_code(PAYMENT_REFERENCE_LENGTH)


def canonical_payment_reference(text: str) -> str | None:
    """The stored form of a reference typed by a person, or None if it cannot be one."""
    raw = normalize_code(text)
    if not is_valid_code(raw, PAYMENT_REFERENCE_LENGTH):
        return None
    return group_code(raw)
