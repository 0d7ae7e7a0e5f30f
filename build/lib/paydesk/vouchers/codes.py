"""Voucher codes: generating them, recognising a typo, and the keyed hash that is all we store.

A code is 16 Crockford base32 characters from `secrets` (80 bits) plus a Luhn mod 32 check
character, grouped by four: `7KQ2-M9XA-4ZP3-B6TR-K`. The database keeps only
HMAC-SHA256(key, normalised code), keyed by the PAYDESK_VOUCHER_KEY setting or, when that is
empty, by a key derived from SECRET_KEY. Never log, store or audit a plain code.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from paydesk.references import is_valid_code, new_code, normalize_code

CODE_LENGTH = 16  # random characters, 5 bits each: 80 bits
CODE_GROUP = 4
HINT_LENGTH = 4
_HASH_SALT = "paydesk.vouchers.code"


def voucher_code_new() -> str:
    """A fresh code, grouped for reading; shown once, never stored."""
    return new_code(CODE_LENGTH, group=CODE_GROUP)


def voucher_code_is_well_formed(text: str) -> bool:
    """True when the text has the right length and its check character matches."""
    return is_valid_code(text or "", CODE_LENGTH)


def voucher_code_hash(text: str) -> str:
    """The keyed hash stored for a code (hex, 64 characters), of its normalised form."""
    secret = settings.PAYDESK_VOUCHER_KEY or settings.SECRET_KEY
    if not secret:
        raise ImproperlyConfigured("Set PAYDESK_VOUCHER_KEY (or SECRET_KEY) to use vouchers.")
    digest = salted_hmac(_HASH_SALT, normalize_code(text), secret=secret, algorithm="sha256")
    return digest.hexdigest()


def voucher_code_hint(text: str) -> str:
    """The code's last characters, by which staff recognise a voucher (not secret)."""
    return normalize_code(text)[-HINT_LENGTH:]
