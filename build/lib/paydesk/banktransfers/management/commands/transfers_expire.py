"""`paydesk transfers-expire`: cancel bank transfers pending longer than the configured days.

For cron; the background worker calls paydesk.banktransfers.services.transfers_expire itself.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from paydesk.banktransfers.services import transfers_expire


class Command(BaseCommand):
    help = (
        "Cancel bank transfers still pending after PAYDESK_TRANSFER_EXPIRY_DAYS days "
        "(those with a Finance approval are kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print {\"expired\": N}")

    def handle(self, *args: Any, **options: Any) -> None:
        count = transfers_expire()
        if options["json"]:
            self.stdout.write(json.dumps({"expired": count}))
        else:
            days = settings.PAYDESK_TRANSFER_EXPIRY_DAYS
            self.stdout.write(f"{count} pending bank transfers older than {days} days cancelled.")
