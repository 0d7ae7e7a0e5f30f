"""The worker's job table: every periodic job `paydesk worker` runs, how often, and for how long
another worker must wait before it may take over a run that seems to have died.

A job is a dotted path to a function `f(*, now=None) -> int` that does its work in its own
transactions and returns how many things it handled (for the log). Adding a job is one line here.
This module never runs anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Job:
    """One periodic job. `lease` must be longer than its longest run."""

    name: str
    function: str
    every: timedelta
    done: str
    lease: timedelta = timedelta(minutes=15)

    def resolve(self) -> Callable[..., int]:
        return import_string(self.function)


JOBS: tuple[Job, ...] = (
    Job("email-outbox", "paydesk.notifications.services.outbox_send_due",
        every=timedelta(seconds=10), done="emails delivered"),
    Job("bank-transfer-expiry", "paydesk.banktransfers.services.transfers_expire",
        every=timedelta(hours=1), done="transfers expired"),
    Job("gateway-reconcile", "paydesk.checkout.reconcile.gateway_payments_reconcile",
        every=timedelta(minutes=5), done="gateway payments settled"),
    Job("autotopup", "paydesk.autotopup.jobs.balance_watch_job",
        every=timedelta(minutes=1), done="top-ups and alerts handled"),
    Job("idempotency-purge", "paydesk.api.services.idempotency_purge",
        every=timedelta(hours=1), done="idempotency keys forgotten"),
    Job("sessions-purge", "paydesk.sessions.services.sessions_purge",
        every=timedelta(hours=1), done="ended sessions forgotten"),
    Job("outhooks-deliver", "paydesk.outhooks.delivery.deliveries_send_due",
        every=timedelta(seconds=2), done="webhook events delivered",
        lease=timedelta(minutes=3)),
    Job("outhooks-purge", "paydesk.outhooks.purge.events_purge",
        every=timedelta(hours=1), done="delivered webhook events purged"),
)  # fmt: skip


def job_lookup(name: str) -> Job:
    """The job called `name`; KeyError when there is none."""
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
