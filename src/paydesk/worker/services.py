"""Running one periodic job under its lease: the guarantee that, however many workers run, a job
runs in one of them at a time and about once per its interval.

The lease is a row per job (JobLease), claimed by one conditional UPDATE — "due, and not held by
a live run" — so it works the same on PostgreSQL (row lock) and SQLite (the IMMEDIATE write lock),
needs no connection held open during the run, and shows in the database who ran what, when and
with which outcome. A run that dies without releasing its lease blocks that job only until the
lease expires. This module never decides *when* to try a job: the scheduler
(paydesk.worker.runner) or `paydesk worker --once` does.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from paydesk.worker.jobs import Job
from paydesk.worker.models import JobLease

logger = logging.getLogger("paydesk.worker")

OUTCOME_MAX = 300
# A job due within this much is run now: `paydesk worker --once` from cron every minute then
# runs a one-minute job every minute, not every other minute.
DUE_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class JobResult:
    """What one attempt to run a job did: ran or skipped, how much, or how it failed."""

    job: str
    ran: bool
    count: int = 0
    error: str = ""
    skipped_because: str = ""


def worker_identity() -> str:
    """`host:pid`: who holds a lease, as shown in the database and the log."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_lease(job: Job) -> timedelta:
    """How long a run may hold its job: PAYDESK_WORKER_LEASE_SECONDS when set, else the job's."""
    seconds = settings.PAYDESK_WORKER_LEASE_SECONDS
    return timedelta(seconds=seconds) if seconds > 0 else job.lease


def job_run(*, job: Job, now: datetime | None = None) -> JobResult:
    """Run `job` once if it is due and no other run holds it; release it, due again one interval
    after this run started.

    A failure inside the job is logged and recorded, never raised: the worker keeps going.
    """
    now = now or timezone.now()
    holder = f"{worker_identity()}:{uuid.uuid4().hex[:8]}"
    JobLease.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    claimed = (
        JobLease.objects.filter(name=job.name, next_run_at__lte=now + DUE_SLACK)
        .filter(Q(held_until__isnull=True) | Q(held_until__lt=now))
        .update(holder=holder, held_until=now + job_lease(job), last_started_at=now)
    )
    if not claimed:
        lease = JobLease.objects.get(name=job.name)
        reason = (
            f"held by {lease.holder} until {lease.held_until:%H:%M:%S}"
            if lease.held_until and lease.held_until >= now
            else f"not due until {lease.next_run_at:%H:%M:%S}"
        )
        logger.debug("job %s skipped: %s", job.name, reason)
        return JobResult(job=job.name, ran=False, skipped_because=reason)

    started = time.monotonic()
    count, error = 0, ""
    try:
        count = int(job.resolve()() or 0)
    except Exception as exc:  # a job's failure is reported; the worker and its other jobs go on
        error = f"{type(exc).__name__}: {exc}"[:OUTCOME_MAX]
        logger.exception("job %s failed", job.name)
    seconds = time.monotonic() - started
    outcome = f"failed: {error}" if error else f"{count} {job.done}"
    finished = timezone.now()
    JobLease.objects.filter(name=job.name, holder=holder).update(
        holder="",
        held_until=None,
        next_run_at=now + job.every,  # from the start: the cadence does not drift
        last_finished_at=finished,
        last_outcome=outcome[:OUTCOME_MAX],
    )
    if not error:
        logger.info("job %s: %s in %.2f s", job.name, outcome, seconds)
    return JobResult(job=job.name, ran=True, count=count, error=error)
