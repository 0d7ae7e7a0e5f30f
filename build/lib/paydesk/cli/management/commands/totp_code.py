"""`paydesk totp-code`: the code an authenticator app shows now for a secret — by default the
demo's public one, which the demo's staff logins use. Reads no database and knows no user's
secret: it is a calculator, for trying the demo without a phone."""

from __future__ import annotations

import argparse
import time
from typing import Any

from paydesk.cli.base import PaydeskCommand
from paydesk.errors import PaydeskError
from paydesk.twofactor.totp import DEMO_TOTP_SECRET, STEP, totp_code, totp_key_from_secret


class Command(PaydeskCommand):
    help = (
        "Print the current authenticator code of a base32 secret (default: the demo's public "
        "secret, used by admin@, finance@ and support@example.com in the demo)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--secret",
            default=DEMO_TOTP_SECRET,
            metavar="BASE32",
            help="the secret an authenticator app was given (default: the demo's)",
        )
        self.add_json(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = totp_key_from_secret(options["secret"])
        except ValueError:
            raise PaydeskError("Not a base32 secret.", field="secret") from None
        now = time.time()
        code = totp_code(key, at=now)
        valid_for = STEP - int(now) % STEP
        self.emit(
            options,
            {"code": code, "valid_for_seconds": valid_for},
            f"{code}  (the code changes in {valid_for} s)",
        )
