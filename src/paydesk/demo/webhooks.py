"""The demo endpoint's delivery history (docs/outgoing-webhooks.md, "The demo"): the seeded
events of the last HISTORY_DAYS get deliveries as the worker would have left them had the
endpoint existed then — delivered at once, one given up after its retry period, the newest of
one customer still pending with a next attempt — so the back office's deliveries list and
delivery log have something to show. Called once, when the endpoint is added; it never sends
anything and must never run against a real provider's database.

The seed writes its events at the moment it runs, whatever the date of the money change; those
of the history are dated at the change (what the ledger writes in production), so the retry
period, the give-up and the order hold as they would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from paydesk.outhooks.delivery import retry_delay
from paydesk.outhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, Event

HISTORY_DAYS = 10
# The receiver's answer, as the sandbox's receiver gives it, and how long it took.
RECEIVED, LATENCY_MS = "Received.", 40
# The failing event's attempts: its receiver hung until the worker gave up waiting.
TIMED_OUT = "ReadTimeout: timed out"
SENT_AFTER = timedelta(seconds=1)  # the worker's next run after an event is written


@dataclass
class _Outcome:
    delivery: Delivery
    attempts: list[Attempt]


def _change_time(event: Event) -> datetime | None:
    payment = event.payment
    if payment is None:
        return None
    if event.type in ("payment.created", "refund.created"):
        return payment.created_at
    if event.type.endswith(".cancelled"):
        return payment.cancelled_at
    return payment.completed_at


def _tries(first: datetime, *, until: datetime, give_up_at: datetime) -> list[datetime]:
    """The worker's attempts from `first` on, every one failing, up to `until` (or the give-up)."""
    times = [first]
    while times[-1] < give_up_at:
        upcoming = times[-1] + retry_delay(len(times))
        if upcoming > until:
            break
        times.append(upcoming)
    return times


def _failing(delivery: Delivery, *, first: datetime, now: datetime) -> _Outcome:
    times = _tries(first, until=now, give_up_at=delivery.give_up_at)
    delivery.attempts = len(times)
    delivery.next_attempt_at = times[-1] + retry_delay(len(times))
    if times[-1] >= delivery.give_up_at:
        delivery.status, delivery.given_up_at = DeliveryStatus.FAILED, times[-1]
    timeout_ms = int(settings.PAYDESK_OUTHOOKS_TIMEOUT * 1000)
    log = [Attempt(at=at, error=TIMED_OUT, latency_ms=timeout_ms) for at in times]
    return _Outcome(delivery, log)


def _delivered(delivery: Delivery, *, at: datetime) -> _Outcome:
    delivery.status, delivery.attempts, delivery.delivered_at = DeliveryStatus.DELIVERED, 1, at
    delivery.next_attempt_at = at + timedelta(seconds=settings.PAYDESK_OUTHOOKS_CLAIM_SECONDS)
    ok = Attempt(at=at, status_code=200, response_excerpt=RECEIVED, latency_ms=LATENCY_MS, ok=True)
    return _Outcome(delivery, [ok])


def seed_demo_deliveries(*, endpoint: Endpoint, now: datetime) -> list[Delivery]:
    """Give `endpoint` the deliveries of the last HISTORY_DAYS' events (see the module)."""
    since = now - timedelta(days=HISTORY_DAYS)
    history: list[tuple[datetime, Event]] = []
    for event in Event.objects.select_related("payment").order_by("pk"):
        at = _change_time(event)
        if at is not None and since <= at <= now and endpoint.wants(event.type):
            event.created_at = at
            history.append((at, event))
    if not history:
        return []
    retry = timedelta(days=settings.PAYDESK_OUTHOOKS_RETRY_DAYS)
    # Given up: the oldest event, if its retries (at most 12 hours apart) ran out before now.
    oldest = min(history, key=lambda pair: (pair[0], pair[1].pk))[1]
    given_up = oldest if oldest.created_at + retry + timedelta(hours=12) <= now else None
    # Pending: the newest event of another customer (ordered: it holds nothing back yet).
    events = [event for _at, event in history]
    others = [
        event for event in events if given_up is None or event.customer_id != oldest.customer_id
    ]
    pending = max(others or events, key=lambda event: event.pk)
    outcomes: list[_Outcome] = []
    held_until: dict[int, datetime] = {}  # ordered: a failing event holds its customer's later
    for at, event in history:
        delivery = Delivery(
            endpoint=endpoint, event=event, customer_id=event.customer_id,
            give_up_at=at + retry, created_at=at,
        )  # fmt: skip
        first = max(at, held_until.get(event.customer_id, at)) + SENT_AFTER
        if event in (given_up, pending):
            outcome = _failing(delivery, first=first, now=now)
            if outcome.delivery.given_up_at:
                held_until[event.customer_id] = outcome.delivery.given_up_at
        else:
            outcome = _delivered(delivery, at=first)
        outcomes.append(outcome)
    with transaction.atomic():
        Event.objects.bulk_update(events, ["created_at"])
        Endpoint.objects.filter(pk=endpoint.pk).update(created_at=since)
        deliveries = Delivery.objects.bulk_create([o.delivery for o in outcomes])
        for outcome in outcomes:
            for attempt in outcome.attempts:
                attempt.delivery, attempt.endpoint = outcome.delivery, endpoint
        Attempt.objects.bulk_create([a for o in outcomes for a in o.attempts])
        _endpoint_failures(endpoint, [a for o in outcomes for a in o.attempts])
    return deliveries


def _endpoint_failures(endpoint: Endpoint, log: list[Attempt]) -> None:
    """The endpoint's failure count since its last success, as the worker keeps it."""
    failures: list[Attempt] = []
    for attempt in sorted(log, key=lambda attempt: attempt.at):
        failures = [] if attempt.ok else [*failures, attempt]
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=len(failures),
        failing_since=failures[0].at if failures else None,
    )
