"""`paydesk worker`: the background worker (docs/worker.md). Runs the periodic jobs of
paydesk.worker.jobs.JOBS until SIGTERM or Ctrl-C; `--once` runs every due job once and exits
(status 1 when a job failed), for cron and tests; `--list` prints the job table.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paydesk.worker.jobs import JOBS, job_lookup
from paydesk.worker.models import JobLease
from paydesk.worker.runner import run_forever, run_once


class Command(BaseCommand):
    help = (
        "Run the background worker: email retries and the other periodic jobs (see --list). "
        "Several may run at once; each job runs in one of them at a time."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every due job once, then exit")
        parser.add_argument(
            "--job",
            action="append",
            metavar="NAME",
            help="only this job (repeatable); see --list",
        )
        parser.add_argument(
            "--list", action="store_true", help="print the job table and each job's last run"
        )
        parser.add_argument("--json", action="store_true", help="with --once or --list: JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            jobs = [job_lookup(name) for name in options["job"]] if options["job"] else list(JOBS)
        except KeyError as exc:
            known = ", ".join(job.name for job in JOBS)
            raise CommandError(f"--job: no job called {exc}; the jobs are: {known}.") from None
        if options["list"]:
            self.list_jobs(jobs, as_json=options["json"])
        elif options["once"]:
            results = run_once(jobs)
            if options["json"]:
                self.stdout.write(json.dumps([result.__dict__ for result in results]))
            else:
                for result in results:
                    self.stdout.write(self.describe(result))
            failed = [result.job for result in results if result.error]
            if failed:
                raise CommandError(f"job failed: {', '.join(failed)}", returncode=1)
        else:
            run_forever(jobs)

    @staticmethod
    def describe(result: Any) -> str:
        if not result.ran:
            return f"{result.job}: skipped ({result.skipped_because})"
        if result.error:
            return f"{result.job}: failed ({result.error})"
        return f"{result.job}: {result.count} {job_lookup(result.job).done}"

    def list_jobs(self, jobs: list[Any], *, as_json: bool) -> None:
        leases = {lease.name: lease for lease in JobLease.objects.all()}
        rows = []
        for job in jobs:
            lease = leases.get(job.name)
            rows.append(
                {
                    "name": job.name,
                    "function": job.function,
                    "every_seconds": int(job.every.total_seconds()),
                    "next_run_at": lease.next_run_at.isoformat() if lease else None,
                    "last_outcome": lease.last_outcome if lease else "",
                }
            )
        if as_json:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            self.stdout.write(
                f"{row['name']}  every {row['every_seconds']} s  {row['function']}  "
                f"next {row['next_run_at'] or 'now'}  last: {row['last_outcome'] or '-'}"
            )
