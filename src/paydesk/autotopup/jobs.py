"""The worker's "autotopup" job (worker/jobs.py) and `paydesk autotopup run --once`: the
low-balance alerts' defaults and sweep, then the automatic top-ups' sweep and charges."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from paydesk.autotopup.alerts import alerts_ensure_defaults, alerts_evaluate
from paydesk.autotopup.models import BalanceAlert
from paydesk.autotopup.services import autotopup_run

AVAILABLE = F("customer__balance") + F("customer__debit_limit")


def alerts_sweep(*, now: datetime | None = None) -> int:
    """Fire or re-arm what a posting did not (a balance moved by a path without the watch)."""
    out_of_step = (
        BalanceAlert.objects.filter(
            Q(armed=True, threshold__gt=AVAILABLE)
            | Q(armed=False, threshold__lte=AVAILABLE - F("margin"))
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )
    queued = 0
    for customer_id in list(out_of_step):
        with transaction.atomic():
            queued += alerts_evaluate(customer_id=customer_id, now=now)
    return queued


def balance_watch_job(*, now: datetime | None = None) -> int:
    """What the job handled: alert emails queued plus top-ups charged or looked at."""
    now = now or timezone.now()
    alerts_ensure_defaults()
    return alerts_sweep(now=now) + autotopup_run(now=now)
