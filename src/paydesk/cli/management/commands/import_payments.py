"""`paydesk import-payments FILE --format connexcs|whmcs|paydesk`: bring a provider's past
payments into Paydesk (docs/import.md).

Every line is checked before anything is written; `--dry-run` prints what would be imported and
every refusal with its line number. A real run writes one transaction per customer through the
ledger (paydesk.imports.services → paydesk.ledger.imports), shows a progress bar with rows per
second on a terminal, and ends with a summary: imported, skipped as already imported, refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from paydesk.cli.base import PaydeskCommand, staff_lookup
from paydesk.imports.formats import FORMATS, ImportRefused
from paydesk.imports.services import ImportPlan, import_plan, import_run

EXAMPLES = """examples:
  paydesk import-payments acme.csv --format paydesk --customer-map map.csv --dry-run
  paydesk import-payments transactions.csv --format whmcs --customer-map map.csv \\
      --time-zone Europe/Berlin --as admin@example.com
  paydesk import-payments payments.csv --format connexcs --customer acme-telecom

The customer map is a CSV: external_id,customer (an existing customer's id or slug) or
external_id,name,currency (a customer created by the import)."""

MAX_REFUSALS_SHOWN = 200


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("… rows/s" if speed is None else f"{speed:,.0f} rows/s")


def _bar(console: Console, options: dict[str, Any]) -> Progress:
    """A progress bar with rows per second, on a terminal only (not with --json)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal or bool(options.get("json")),
    )


def _time_zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone '{text}'") from None


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"The {what} cannot be read: {exc}.") from None


class Command(PaydeskCommand):
    help = "Import past payments from a ConnexCS, WHMCS or Paydesk CSV file."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = EXAMPLES
        parser.add_argument("file", metavar="FILE", help="the payments CSV (UTF-8)")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument(
            "--customer-map", metavar="MAP.csv", help="which Paydesk customer each row's goes to"
        )
        parser.add_argument(
            "--customer", metavar="ID", help="put every row in this customer (id or slug)"
        )
        parser.add_argument(
            "--time-zone",
            type=_time_zone,
            metavar="ZONE",
            help="the zone of dates written without an offset (e.g. Europe/Berlin)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and show; write nothing")
        self.add_actor(parser)
        self.add_json(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = staff_lookup(options.get("actor"))
        customer_map = (
            _read(options["customer_map"], "customer map") if options.get("customer_map") else None
        )
        console = Console(file=sys.stderr)
        try:  # read line by line: the rows wait on disk, memory stays flat
            with (
                _bar(console, options) as bar,
                Path(options["file"]).open(encoding="utf-8-sig", newline="") as handle,
            ):
                checking = bar.add_task("Checking", total=None)
                plan = import_plan(
                    text=handle,
                    file_format=options["format"],
                    customer_map=customer_map,
                    customer=options.get("customer"),
                    time_zone=options.get("time_zone"),
                    progress=lambda n: bar.advance(checking, n),
                )
                bar.update(checking, total=plan.rows_read, completed=plan.rows_read)
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportRefused(f"The file cannot be read: {exc}.") from None
        try:
            self._write(plan, actor, console, options)
        finally:
            plan.close()

    def _write(
        self, plan: ImportPlan, actor: Any, console: Console, options: dict[str, Any]
    ) -> None:
        self._show_plan(plan, options)
        if plan.refusals:
            raise ImportRefused(
                f"{len(plan.refusals)} line(s) refused: nothing was imported."
                if not options["dry_run"]
                else f"{len(plan.refusals)} line(s) would be refused."
            )
        if options["dry_run"]:
            return
        with _bar(console, options) as bar:
            task = bar.add_task("Importing", total=plan.new_rows)
            result = import_run(plan=plan, actor=actor, progress=lambda n: bar.advance(task, n))
        self.emit(
            options,
            {
                "imported": result.imported,
                "skipped": result.skipped,
                "refused": 0,
                "customers": [{"customer": c, "imported": n} for c, n in result.customers],
            },
            f"Imported {result.imported} row(s); skipped {result.skipped} already imported; "
            "refused 0.",
        )

    def _show_plan(self, plan: ImportPlan, options: dict[str, Any]) -> None:
        if options.get("json"):
            if options["dry_run"] or plan.refusals:
                self.emit(options, _plan_data(plan), "")
            return
        for customer in plan.customers:
            self.stdout.write(
                f"{customer.target.label}: {customer.count} to import, "
                f"{customer.skipped} already imported"
            )
        for refusal in plan.refusals[:MAX_REFUSALS_SHOWN]:
            where = f"line {refusal.line}: " if refusal.line else ""
            self.stdout.write(f"refused: {where}{refusal.message}")
        if len(plan.refusals) > MAX_REFUSALS_SHOWN:
            self.stdout.write(f"… and {len(plan.refusals) - MAX_REFUSALS_SHOWN} more refusals")
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {plan.new_rows} row(s) would be imported; {plan.skipped} skipped as "
                f"already imported; {len(plan.refusals)} refused. Nothing was written."
            )


def _plan_data(plan: ImportPlan) -> dict[str, Any]:
    return {
        "dry_run": True,
        "rows_read": plan.rows_read,
        "to_import": plan.new_rows,
        "skipped": plan.skipped,
        "refused": [{"line": r.line, "message": r.message} for r in plan.refusals],
        "customers": [
            {"customer": c.target.label, "to_import": c.count, "skipped": c.skipped}
            for c in plan.customers
        ],
    }
