"""Delivering events (the worker's `outhooks-deliver` job, docs/outgoing-webhooks.md).

1. Dispatch: every event not yet dispatched gets one Delivery per active endpoint (paused ones
   included: they keep their events for when they resume) that wants its type and existed when
   it was written. Events are picked by a flag, not an id cursor, so an event whose transaction
   committed after a later one's is never skipped.
2. Send: each due pending delivery is claimed (one conditional UPDATE: attempts + 1, not due
   again for PAYDESK_OUTHOOKS_CLAIM_SECONDS, so a worker killed mid-request leaves it to be sent
   again, and two workers never send it at once), POSTed signed, and logged (Attempt). A 2xx is
   delivered; anything else is retried after PAYDESK_OUTHOOKS_RETRY_SECONDS × 2^(attempts − 1),
   at most 12 hours apart, until PAYDESK_OUTHOOKS_RETRY_DAYS after it was written: then given up.
   An `ordered` endpoint gets a customer's events one at a time, in event order.
3. An endpoint that has failed every attempt for PAYDESK_OUTHOOKS_PAUSE_AFTER_HOURS (and at
   least PAYDESK_OUTHOOKS_PAUSE_MIN_FAILURES times) is paused, and Administrators are emailed.

At least once: a receiver de-duplicates by the event id (`Paydesk-Event-Id`, the body's `id`).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from paydesk.notifications.services import notify_webhook_paused
from paydesk.outhooks.addresses import AddressRefused, CheckedTransport, url_shown
from paydesk.outhooks.crypto import SecretUnreadable, secret_decrypt
from paydesk.outhooks.events import json_text
from paydesk.outhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, Event
from paydesk.outhooks.signing import HEADER, signature_header

logger = logging.getLogger(__name__)

BATCH = 200
RETRY_CAP = timedelta(hours=12)
EXCERPT_MAX = 500
# One run of the job stops taking new deliveries after this long (the next run goes on).
RUN_BUDGET = timedelta(seconds=50)


def event_body(event: Event) -> bytes:
    """The exact bytes POSTed for an event: the same on every attempt and every endpoint."""
    head = json_text({"id": event.public_id, "type": event.type, "created_at": event.created_at})
    return (head[:-1] + ',"data":' + event.data + "}").encode()


def retry_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=settings.PAYDESK_OUTHOOKS_RETRY_SECONDS)
    return min(base * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def events_dispatch(*, now: datetime | None = None) -> int:
    """Make the deliveries of undispatched events; returns how many events were dispatched."""
    now = now or timezone.now()
    done = 0
    retry = timedelta(days=settings.PAYDESK_OUTHOOKS_RETRY_DAYS)
    while True:
        with transaction.atomic():
            events = list(Event.objects.filter(dispatched=False).order_by("pk")[:BATCH])
            if not events:
                return done
            endpoints = list(Endpoint.objects.filter(active=True))
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        endpoint=endpoint,
                        event=event,
                        customer_id=event.customer_id,
                        next_attempt_at=now,
                        give_up_at=event.created_at + retry,
                    )
                    for event in events
                    for endpoint in endpoints
                    if endpoint.wants(event.type) and endpoint.created_at <= event.created_at
                ],
                ignore_conflicts=True,
            )
            Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched=True)
            done += len(events)


def _due(now: datetime):
    earlier = Delivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        customer_id=OuterRef("customer_id"),
        status=DeliveryStatus.PENDING,
        event_id__lt=OuterRef("event_id"),
    )
    return (
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__active=True,
            endpoint__paused_at__isnull=True,
        )
        .filter(Q(endpoint__ordered=False) | ~Exists(earlier))
        .order_by("event_id", "pk")
    )


def deliveries_send_due(*, now: datetime | None = None) -> int:
    """The worker's job: dispatch new events, then send every due delivery; returns how many
    were delivered."""
    events_dispatch(now=now)
    started = time.monotonic()
    delivered = 0
    with _client() as client:
        while time.monotonic() - started < RUN_BUDGET.total_seconds():
            moment = now or timezone.now()
            batch = list(_due(moment).values_list("pk", flat=True)[:BATCH])
            sent = sum(_send(pk, client, now=moment) for pk in batch)
            delivered += sent
            if not batch or sent == 0:
                break
    return delivered


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Send one delivery now if it is due (tests, the resend button's worker run)."""
    with _client() as client:
        return _send(delivery_id, client, now=now or timezone.now())


def _client() -> httpx.Client:
    """The worker's HTTP client: every connection to an address checked just before
    (addresses.py), unless PAYDESK_OUTHOOKS_ALLOW_PRIVATE; redirects never followed."""
    checked = not settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE
    return httpx.Client(
        timeout=settings.PAYDESK_OUTHOOKS_TIMEOUT,
        follow_redirects=False,
        transport=CheckedTransport() if checked else None,
        trust_env=not checked,
    )


def _url_refusal(url: str) -> str:
    """Why an endpoint's saved URL may not be used now (the settings changed since)."""
    if urlsplit(url).scheme != "https" and not settings.PAYDESK_OUTHOOKS_ALLOW_HTTP:
        return "Refused: the address is not https:// (PAYDESK_OUTHOOKS_ALLOW_HTTP is off)."
    return ""


def _send(pk: int, client: httpx.Client, *, now: datetime) -> bool:
    claim = timedelta(seconds=settings.PAYDESK_OUTHOOKS_CLAIM_SECONDS)
    claimed = Delivery.objects.filter(
        pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=max(now, timezone.now()) + claim)
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("endpoint", "event").get(pk=pk)
    endpoint, event = delivery.endpoint, delivery.event
    body = event_body(event)
    stamp = int(time.time())
    try:
        secret = secret_decrypt(endpoint.secret_encrypted)
    except SecretUnreadable:  # its key was dropped from PAYDESK_SECRETS_KEYS before rotating
        unreadable = "The signing secret cannot be read (the key changed?): roll the secret."
        with transaction.atomic():
            Attempt.objects.create(delivery=delivery, endpoint=endpoint, error=unreadable)
            _failed(delivery, now=now, outcome=unreadable)
        return False
    headers = {
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",  # the excerpt is read as it comes: never a compressed bomb
        "User-Agent": "Paydesk-Webhooks/1",
        "Paydesk-Event-Id": event.public_id,
        "Paydesk-Event-Type": event.type,
        "Paydesk-Delivery": str(delivery.pk),
        HEADER: signature_header(secret=secret, timestamp=stamp, body=body),
    }
    began = time.monotonic()
    code, excerpt, error = None, "", _url_refusal(endpoint.url)
    try:
        if not error:
            with client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                code, excerpt = response.status_code, _excerpt(response)
    except AddressRefused as exc:  # an internal address (addresses.py): nothing was sent
        error = f"Refused: {exc} (PAYDESK_OUTHOOKS_ALLOW_PRIVATE is off)."[:300]
    except httpx.HTTPError as exc:  # refused, timed out, reset: the text names no secret
        error = f"{type(exc).__name__}: {exc}"[:300]
    latency = int((time.monotonic() - began) * 1000)
    ok = code is not None and 200 <= code < 300
    with transaction.atomic():  # the log row and the outcome: one commit
        Attempt.objects.create(
            delivery=delivery,
            endpoint=endpoint,
            status_code=code,
            latency_ms=latency,
            response_excerpt=excerpt,
            error=error,
            ok=ok,
        )
        if not ok:
            _failed(delivery, now=now, outcome=error or f"HTTP {code}")
            return False
        Delivery.objects.filter(pk=pk).update(
            status=DeliveryStatus.DELIVERED, delivered_at=timezone.now()
        )
        if endpoint.consecutive_failures or endpoint.failing_since:
            Endpoint.objects.filter(pk=endpoint.pk).update(
                consecutive_failures=0, failing_since=None
            )
    return True


def _excerpt(response: httpx.Response) -> str:
    """The start of a receiver's answer, for the attempt log: at most EXCERPT_MAX characters,
    read within PAYDESK_OUTHOOKS_TIMEOUT. Never the whole body: a receiver answering gigabytes,
    or a byte at a time, must not hold the worker (or its memory) — its status is what counts,
    and a body cut short or broken off is kept as far as it came."""
    limit = EXCERPT_MAX * 4  # bytes: enough for EXCERPT_MAX characters of UTF-8
    deadline = time.monotonic() + settings.PAYDESK_OUTHOOKS_TIMEOUT
    raw = b""
    try:
        for chunk in response.iter_raw():
            raw += chunk
            if len(raw) >= limit or time.monotonic() > deadline:
                break
    except httpx.HTTPError:
        pass
    return raw[:limit].decode(response.encoding or "utf-8", errors="replace")[:EXCERPT_MAX]


def _failed(delivery: Delivery, *, now: datetime, outcome: str) -> None:
    gives_up = now >= delivery.give_up_at
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED if gives_up else DeliveryStatus.PENDING,
        next_attempt_at=now + retry_delay(delivery.attempts),
        given_up_at=now if gives_up else None,
    )
    endpoint = delivery.endpoint
    log = logger.error if gives_up else logger.warning
    log(
        "Webhook evt_%s to endpoint %s (%s) failed, attempt %d: %s%s",
        delivery.event_id, endpoint.pk, url_shown(endpoint.url), delivery.attempts, outcome,
        " — given up" if gives_up else "",
    )  # fmt: skip
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    _maybe_pause(endpoint.pk, now=now, outcome=outcome)


def _maybe_pause(endpoint_id: int, *, now: datetime, outcome: str) -> None:
    hours = settings.PAYDESK_OUTHOOKS_PAUSE_AFTER_HOURS
    reason = f"Every attempt failed for {hours:g} hours; the last: {outcome}"[:300]
    with transaction.atomic():
        paused = Endpoint.objects.filter(
            pk=endpoint_id,
            paused_at__isnull=True,
            failing_since__lte=now - timedelta(hours=hours),
            consecutive_failures__gte=settings.PAYDESK_OUTHOOKS_PAUSE_MIN_FAILURES,
        ).update(paused_at=now, pause_reason=reason)
        if paused:
            endpoint = Endpoint.objects.get(pk=endpoint_id)
            shown = url_shown(endpoint.url)  # never its path or query: a token may sit there
            logger.error("Webhook endpoint %s (%s) paused: %s", endpoint.pk, shown, reason)
            notify_webhook_paused(endpoint_url=shown, endpoint_id=endpoint.pk, reason=reason)


def payload_preview(event: Event) -> str:
    """The body as indented JSON, for the back office."""
    return json.dumps(json.loads(event_body(event)), indent=2, ensure_ascii=False)
