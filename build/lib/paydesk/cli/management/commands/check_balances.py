"""`paydesk check-balances`: recompute every balance from the ledger and report any drift."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paydesk.ledger.selectors import balance_drifts


class Command(BaseCommand):
    help = "Recompute every customer's balance from its completed payments; exit 1 on any drift."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        drifts = balance_drifts()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": not drifts,
                        "drifts": [
                            {
                                "customer_id": d.customer_id,
                                "customer": d.customer_name,
                                "currency": d.currency,
                                "stored": str(d.stored),
                                "computed": str(d.computed),
                                "last_balance_after": None
                                if d.last_balance_after is None
                                else str(d.last_balance_after),
                            }
                            for d in drifts
                        ],
                    }
                )
            )
        else:
            for d in drifts:
                self.stdout.write(
                    f"DRIFT customer {d.customer_id} ({d.customer_name}): stored {d.stored} "
                    f"{d.currency}, ledger says {d.computed}, last balance-after "
                    f"{d.last_balance_after}"
                )
            if not drifts:
                self.stdout.write("All balances match the ledger.")
        if drifts:
            raise CommandError(f"{len(drifts)} customer balance(s) drifted from the ledger.")
