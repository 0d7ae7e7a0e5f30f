"""The demo's email backend: each message is saved as its own .eml file under
PAYDESK_VAR_DIR/demo-emails/ and announced in one line on the console (who, subject, where to
read it), instead of the whole MIME message pushing the demo's logins off screen."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class OneLineEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        folder = Path(settings.VAR_DIR) / "demo-emails"
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = folder / f"{stamp}.eml"
            path.write_bytes(message.message().as_bytes())
            sys.stdout.write(
                f'Email to {", ".join(message.to)}: "{message.subject}" (read it in the back '
                f"office under Records › Outbound emails, or {path})\n"
            )
            sys.stdout.flush()
            sent += 1
        return sent
