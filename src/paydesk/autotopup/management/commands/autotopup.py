"""`paydesk autotopup run --once`: the worker's automatic top-up job once, for cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paydesk.autotopup.jobs import balance_watch_job


class Command(BaseCommand):
    help = (
        "Automatic top-up and low-balance alerts: `run --once` queues and charges due "
        "top-ups and sends due alerts once, then exits."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["run"])
        parser.add_argument(
            "--once",
            action="store_true",
            required=True,
            help="Run once and exit (the worker runs it every minute).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            handled = balance_watch_job()
        except Exception as error:  # reported as a failed run, exit 1
            raise CommandError(f"autotopup run failed: {type(error).__name__}: {error}") from error
        self.stdout.write(f"autotopup: {handled} top-ups and alerts handled.")
