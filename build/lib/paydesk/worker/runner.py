"""The long-running worker: APScheduler fires every job of the table on its interval in a small
thread pool; each firing goes through `job_run`, whose lease keeps one run per job across all
workers. SIGTERM or SIGINT stops it gracefully: no new run starts, running ones finish.

APScheduler only keeps time here (its in-memory job store, never a shared one: APScheduler 3
does not coordinate processes); which worker runs a job, and when it is due, live in the
database (paydesk.worker.models.JobLease).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from django.db import close_old_connections, connections

from paydesk.worker.jobs import Job
from paydesk.worker.services import JobResult, job_run, worker_identity

logger = logging.getLogger("paydesk.worker")

# How often each worker looks whether a job is due, at most: a job due in the database (another
# worker ran it late, or the worker restarted) starts within this delay.
POLL_MAX = timedelta(seconds=30)


def run_once(jobs: Sequence[Job]) -> list[JobResult]:
    """Every due job once, one after the other (`paydesk worker --once`, cron, tests)."""
    results = [job_run(job=job) for job in jobs]
    for result in results:
        if not result.ran:
            logger.info("job %s skipped: %s", result.job, result.skipped_because)
    return results


def run_forever(jobs: Sequence[Job], *, stop: threading.Event | None = None) -> None:
    """Run the jobs on their intervals until SIGTERM/SIGINT (or `stop` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda signum, frame: stop.set())
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=max(len(jobs), 1))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    first = datetime.now(UTC)
    for job in jobs:
        scheduler.add_job(
            _fire,
            IntervalTrigger(seconds=min(job.every, POLL_MAX).total_seconds()),
            args=[job],
            id=job.name,
            name=job.name,
            next_run_time=first,
        )
    logger.info(
        "worker %s started: %s",
        worker_identity(),
        ", ".join(f"{job.name} every {job.every.total_seconds():g} s" for job in jobs) or "no jobs",
    )
    scheduler.start()
    try:
        stop.wait()
    finally:
        logger.info("worker %s stopping: waiting for running jobs", worker_identity())
        scheduler.shutdown(wait=True)
        connections.close_all()
        logger.info("worker %s stopped", worker_identity())


def _fire(job: Job) -> None:
    close_old_connections()
    try:
        job_run(job=job)
    finally:
        close_old_connections()
