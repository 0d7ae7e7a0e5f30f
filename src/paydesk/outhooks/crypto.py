"""Endpoint signing secrets at rest: encrypted with Fernet (AES-128-CBC + HMAC-SHA256, the
`cryptography` package). The key is PAYDESK_OUTHOOKS_KEY (a Fernet key: 32 bytes, url-safe
base64; `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())"`),
or, when that is unset, one derived from SECRET_KEY (so rotating SECRET_KEY without setting
PAYDESK_OUTHOOKS_KEY makes every endpoint need a new secret). The secret is shown once, when it is
made, and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet
from django.conf import settings

SECRET_PREFIX = "whsec_"


def _fernet() -> Fernet:
    key = settings.PAYDESK_OUTHOOKS_KEY
    if not key:
        digest = hashlib.sha256(f"paydesk-outhooks:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def secret_new() -> str:
    """A new signing secret: `whsec_` and 32 random bytes, url-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
