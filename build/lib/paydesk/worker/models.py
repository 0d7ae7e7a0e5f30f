"""One row per periodic job: when it is next due, which worker holds it now and until when, and
what its last run did. The row is the lock that lets several workers run side by side (on one
machine or many) while each job runs in only one of them at a time; see paydesk.worker.services.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobLease(models.Model):
    """The schedule and the lease of one job of paydesk.worker.jobs.JOBS."""

    name = models.CharField(max_length=60, primary_key=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    holder = models.CharField(max_length=120, blank=True, help_text="host:pid:run of the holder")
    held_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
