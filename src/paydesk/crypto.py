"""Encryption at rest (the base: no app): cryptography's Fernet under a MultiFernet, for gateway
credentials (provider), outgoing webhooks' signing secrets (outhooks) and authenticator-app
secrets (twofactor).

The keys are settings.PAYDESK_SECRETS_KEYS (the environment variable PAYDESK_SECRETS_KEYS:
comma-separated Fernet keys, the first encrypts, every one decrypts; parsed in
settings/values.py). Without it one key is derived from SECRET_KEY, as the voucher key is (then
rotating SECRET_KEY needs `paydesk rotate-secrets-key` with the old key listed second).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from paydesk.errors import PaydeskError


class SecretUnreadable(PaydeskError):
    code = "secret_unreadable"


# Columns encrypted with these keys ("app_label.Model", field) besides the provider's own,
# registered in their app's AppConfig.ready() so that `paydesk rotate-secrets-key` (provider)
# re-encrypts them too without importing their app.
ENCRYPTED_COLUMNS: list[tuple[str, str]] = []


def encrypted_column_register(model: str, field: str) -> None:
    if (model, field) not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append((model, field))


def _derived_key() -> str:
    digest = hashlib.sha256(f"paydesk-secrets:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def secrets_cipher() -> MultiFernet:
    keys = tuple(getattr(settings, "PAYDESK_SECRETS_KEYS", ()) or ()) or (_derived_key(),)
    return MultiFernet([Fernet(key) for key in keys])


def secret_encrypt(value: str) -> str:
    return secrets_cipher().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return secrets_cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with PAYDESK_SECRETS_KEYS "
            "(was a key removed before `paydesk rotate-secrets-key` ran?)."
        ) from None


def secret_rotate(token: str) -> str:
    """The token re-encrypted under the first key (InvalidToken → SecretUnreadable)."""
    try:
        return secrets_cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("A stored secret cannot be decrypted.") from None
