"""Forgetting old webhook events (the worker's `outhooks-purge` job,
docs/outgoing-webhooks.md, "What is kept").

An event goes, with its deliveries and their attempt log, once it is older than
PAYDESK_OUTHOOKS_KEEP_DAYS (30) and every delivery of it is finished that long ago too:
delivered, or given up (its retries ran out) — an Administrator can resend a given-up delivery
for KEEP_DAYS after the give-up. An event no endpoint wanted goes as well. Never an event not
yet dispatched, never one with a delivery pending (being retried, resent, or held by a paused
endpoint), never one newer than the retention.

Deleted in batches, each in its own transaction: the batch's events are locked first (FOR
UPDATE, in id order), then their deliveries, then the rows are checked again. A resend or a
replay (services.py) that got there first has made a delivery pending, so the event is kept;
one that comes second waits for the purge and finds the rows gone (a replay skips the event,
a resend counts it out) — never a foreign-key error.
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
    finished = Q(status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff) | Q(
        status=DeliveryStatus.FAILED, given_up_at__lt=cutoff
    )
    kept = Delivery.objects.filter(event=OuterRef("pk")).filter(~finished)
    return Event.objects.filter(dispatched=True, created_at__lt=cutoff).filter(~Exists(kept))


def events_purge(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """The worker's job: delete finished events older than the retention, with their
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
            # The events first (a replay locks them too, in the same order), then their
            # deliveries (a resend updates those), then check again what is still purgeable.
            list(Event.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
            locked = Delivery.objects.select_for_update().filter(event_id__in=ids).order_by("pk")
            list(locked.values("pk"))
            still = list(_purgeable(cutoff).filter(pk__in=ids).values_list("pk", flat=True))
            Attempt.objects.filter(delivery__event_id__in=still).delete()
            Delivery.objects.filter(event_id__in=still).delete()
            Event.objects.filter(pk__in=still).delete()
            purged += len(still)
