"""Forgetting delivered webhook events (the worker's `outhooks-purge` job,
docs/outgoing-webhooks.md, "What is kept").

An event goes, with its deliveries and their attempt log, once it is older than
PAYDESK_OUTHOOKS_KEEP_DAYS (30) and every endpoint it was for has it delivered, that long ago
too (an event no endpoint wanted goes as well). Never an event not yet dispatched, never one
with a delivery still pending (being retried, or held by a paused endpoint), never one given up
by an endpoint (an Administrator may still resend it), never one newer than the retention.
Deleted in batches, each in its own transaction, the rows re-checked under lock in it: a
delivery resent meanwhile keeps its event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from paydesk.outhooks.models import Attempt, Delivery, DeliveryStatus, Event

BATCH = 500


def _purgeable(cutoff: datetime):
    kept = Delivery.objects.filter(event=OuterRef("pk")).filter(
        ~Q(status=DeliveryStatus.DELIVERED)
        | Q(delivered_at__isnull=True)
        | Q(delivered_at__gte=cutoff)
    )
    return Event.objects.filter(dispatched=True, created_at__lt=cutoff).filter(~Exists(kept))


def events_purge(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """The worker's job: delete delivered events older than the retention, with their
    deliveries and attempts, `batch` events per transaction; returns how many events went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PAYDESK_OUTHOOKS_KEEP_DAYS)
    purged, after = 0, 0
    while True:
        ids = list(
            _purgeable(cutoff)
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return purged
        after = ids[-1]
        with transaction.atomic():
            # Lock their deliveries (a resend waits, then finds them gone), then check again.
            list(Delivery.objects.select_for_update().filter(event_id__in=ids).values("pk"))
            still = list(_purgeable(cutoff).filter(pk__in=ids).values_list("pk", flat=True))
            Attempt.objects.filter(delivery__event_id__in=still).delete()
            Delivery.objects.filter(event_id__in=still).delete()
            Event.objects.filter(pk__in=still).delete()
            purged += len(still)
