"""`paydesk rotate-secrets-key`: re-encrypt every stored gateway credential under the first key of
PAYDESK_SECRETS_KEYS (docs/provider-settings.md, "Rotating the key")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paydesk.crypto import SecretUnreadable
from paydesk.provider.credentials import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored gateway credential under the first key of PAYDESK_SECRETS_KEYS "
        "(list the new key first and the old one after it, run this, then drop the old key)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = secrets_rotate()
        except SecretUnreadable as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Re-encrypted {count} stored credential(s) under the first key.")
