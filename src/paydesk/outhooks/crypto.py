"""Endpoint signing secrets at rest: encrypted with the provider's secrets keys (Fernet under a
MultiFernet, paydesk.crypto: PAYDESK_SECRETS_KEYS, or a key derived from SECRET_KEY),
the same keys as the gateway credentials, so `paydesk rotate-secrets-key` re-encrypts them too.
The secret is shown once, when it is made, and never logged.
"""

from __future__ import annotations

import secrets

from paydesk.crypto import SecretUnreadable
from paydesk.crypto import secret_decrypt as _decrypt
from paydesk.crypto import secret_encrypt as _encrypt

SECRET_PREFIX = "whsec_"

__all__ = ["SECRET_PREFIX", "SecretUnreadable", "secret_decrypt", "secret_encrypt", "secret_new"]


def secret_new() -> str:
    """A new signing secret: `whsec_` and 32 random bytes, url-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_encrypt(secret: str) -> str:
    return _encrypt(secret)


def secret_decrypt(token: str) -> str:
    """The secret (SecretUnreadable when no key of PAYDESK_SECRETS_KEYS reads it)."""
    return _decrypt(token)
