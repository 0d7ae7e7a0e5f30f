"""`paydesk vouchers issue`: issue a batch of vouchers from a script and print the codes once.

Runs as the system (audited as "cli"). The codes go to stdout and nowhere else: they are not
stored, logged or audited.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from paydesk.errors import PaydeskError
from paydesk.money import plain_amount
from paydesk.vouchers.batches import voucher_batch_issue


def parse_expiry(text: str) -> datetime:
    """`2027-01-31` → valid through that day (provider's time zone); or an ISO 8601 date-time."""
    provider_zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        if day >= date.max:  # no next day to end it on: the service names the latest expiry
            day = date.max - timedelta(days=1)
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=provider_zone)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--expires: '{text}' is not a date like 2027-01-31.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=provider_zone)


class Command(BaseCommand):
    help = "Manage vouchers from the command line: `vouchers issue` creates a batch."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        issue = actions.add_parser(
            "issue",
            help="Issue a batch of vouchers and print their codes (shown only this once).",
            description="Issue a batch of vouchers and print their codes (shown only this once).",
        )
        issue.add_argument("--count", type=int, required=True, help="How many vouchers.")
        issue.add_argument("--currency", required=True, help="ISO 4217 code, e.g. USD.")
        issue.add_argument(
            "--minimum-activation",
            default="0",
            metavar="M",
            help="0 (default): free credit of A. Above 0: a bonus on the next top-up of M or more.",
        )
        issue.add_argument(
            "--multiplier",
            default="1",
            metavar="X",
            help="Bonus multiple of the top-up: 2 doubles it, 1.1 adds 10%% (default 1).",
        )
        issue.add_argument("--addition", default="0", metavar="A", help="Amount added (default 0).")
        issue.add_argument(
            "--expires",
            metavar="DATE",
            help="Last valid day (YYYY-MM-DD, provider's time zone) or an ISO 8601 date-time.",
        )
        issue.add_argument("--note", default="", help="A note for staff.")
        issue.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "issue":
            self._issue(options)

    def _issue(self, options: dict[str, Any]) -> None:
        expires_at = parse_expiry(options["expires"]) if options.get("expires") else None
        try:
            batch, codes = voucher_batch_issue(
                count=options["count"],
                currency=options["currency"],
                minimum_activation=options["minimum_activation"],
                multiplier=options["multiplier"],
                addition=options["addition"],
                expires_at=expires_at,
                note=options["note"],
                actor=None,
            )
        except PaydeskError as exc:
            raise CommandError(exc.message) from None
        terms = {
            "batch": batch.pk,
            "count": batch.count,
            "currency": batch.currency,
            "minimum_activation": plain_amount(batch.minimum_activation, batch.currency),
            "multiplier": f"{batch.multiplier.normalize():f}",
            "addition": plain_amount(batch.addition, batch.currency),
            "expires_at": batch.expires_at.isoformat() if batch.expires_at else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps({**terms, "codes": codes}))
            return
        expiry = terms["expires_at"] or "never"
        self.stdout.write(
            f"Batch {batch.pk}: {batch.count} voucher(s) in {batch.currency}, "
            f"M {terms['minimum_activation']}, X {terms['multiplier']}, A {terms['addition']}, "
            f"expires {expiry}. The codes are shown only now:"
        )
        for code in codes:
            self.stdout.write(code)
