"""Administrators' actions on outgoing webhooks (the back office and the staff API call these):
add an endpoint (its secret returned once), change it, resume it, resend deliveries, replay
events since an id. Every change is audited; only Administrators may make one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import StaffRole
from paydesk.audit.services import audit_record
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.outhooks.addresses import AddressRefused, host_check
from paydesk.outhooks.crypto import secret_encrypt, secret_new
from paydesk.outhooks.models import Delivery, DeliveryStatus, Endpoint, Event, EventType

EVENT_TYPES = tuple(str(value) for value in EventType.values)


class WebhookError(PaydeskError):
    """An endpoint's settings are refused (URL, event types)."""

    code = "invalid_webhook"


class WebhookAddressRefused(WebhookError):
    """An endpoint's URL names an internal address (loopback, private, link-local…)."""

    code = "webhook_address_refused"


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str  # shown once: only its encrypted form is stored


def _admin(actor: Any) -> None:
    if not (getattr(actor, "is_staff", False) and actor.staff_role == StaffRole.ADMIN):
        raise PermissionDenied("Only Administrators can manage webhook endpoints.")


def url_check(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.PAYDESK_OUTHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise WebhookError(
            "Give the full address of the receiver, starting with https://.", field="url"
        )
    if parts.username or parts.password:
        raise WebhookError("The address may not hold a user name or password.", field="url")
    if len(url) > 500:
        raise WebhookError("That address is too long (500 characters at most).", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookError(
            "That address's port is not a number from 1 to 65535.", field="url"
        ) from None
    if not settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE:
        try:
            host_check(parts.hostname, port)
        except AddressRefused as exc:
            raise WebhookAddressRefused(
                f"Webhooks cannot be sent to an internal address: {exc}.", field="url"
            ) from exc
        except OSError:  # a name that does not resolve (yet): every delivery checks it again
            pass
    return url


def event_types_check(types: Any) -> list[str]:
    chosen = list(dict.fromkeys(str(value) for value in (types or [])))
    unknown = [value for value in chosen if value not in EVENT_TYPES]
    if unknown:
        raise WebhookError(
            f"Unknown event type {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}.",
            field="event_types",
        )
    return chosen


def _snapshot(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "active": endpoint.active,
        "ordered": endpoint.ordered,
        "secret": f"…{endpoint.secret_hint}",
    }


def endpoint_create(
    *,
    url: str,
    actor: Any,
    event_types: Any = (),
    description: str = "",
    ordered: bool = False,
    secret: str | None = None,
) -> NewEndpoint:
    """Add an endpoint; returns it with its signing secret (shown once, stored encrypted).
    `secret` is for the demo's seed only (the sandbox's receiver knows it)."""
    _admin(actor)
    secret = secret or secret_new()
    endpoint = Endpoint(
        url=url_check(url),
        description=(description or "").strip()[:200],
        event_types=event_types_check(event_types),
        ordered=bool(ordered),
        secret_encrypted=secret_encrypt(secret),
        secret_hint=secret[-4:],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with transaction.atomic():
        endpoint.save()
        audit_record(
            action="webhook.endpoint_create", actor=actor, obj=endpoint, after=_snapshot(endpoint)
        )
    return NewEndpoint(endpoint=endpoint, secret=secret)


def endpoint_update(*, endpoint: Endpoint | int, actor: Any, **changes: Any) -> Endpoint:
    """Change url, description, event_types, active or ordered; a new `secret=True` rolls the
    secret: returned as the `new_secret` attribute of the endpoint, once."""
    _admin(actor)
    pk = endpoint.pk if isinstance(endpoint, Endpoint) else endpoint
    with transaction.atomic():
        row = Endpoint.objects.select_for_update().get(pk=pk)
        before = _snapshot(row)
        if "url" in changes:
            row.url = url_check(changes["url"])
        if "description" in changes:
            row.description = (changes["description"] or "").strip()[:200]
        if "event_types" in changes:
            row.event_types = event_types_check(changes["event_types"])
        for flag in ("active", "ordered"):
            if flag in changes:
                setattr(row, flag, bool(changes[flag]))
        new_secret = None
        if changes.get("secret"):
            new_secret = secret_new()
            row.secret_encrypted, row.secret_hint = secret_encrypt(new_secret), new_secret[-4:]
        row.save()
        audit_record(
            action="webhook.endpoint_update",
            actor=actor,
            obj=row,
            before=before,
            after=_snapshot(row),
        )
    row.new_secret = new_secret
    return row


def endpoint_resume(*, endpoint: Endpoint | int, actor: Any) -> int:
    """Unpause an endpoint: its pending deliveries are due now, with a fresh retry period.
    Returns how many deliveries were made due."""
    _admin(actor)
    pk = endpoint.pk if isinstance(endpoint, Endpoint) else endpoint
    now = timezone.now()
    with transaction.atomic():
        Endpoint.objects.filter(pk=pk).update(
            paused_at=None, pause_reason="", failing_since=None, consecutive_failures=0
        )
        count = Delivery.objects.filter(endpoint_id=pk, status=DeliveryStatus.PENDING).update(
            next_attempt_at=now, give_up_at=now + _retry_period()
        )
        audit_record(
            action="webhook.endpoint_resume", actor=actor, obj=Endpoint(pk=pk), after={"due": count}
        )
    return count


def _retry_period() -> timedelta:
    return timedelta(days=settings.PAYDESK_OUTHOOKS_RETRY_DAYS)


@dataclass(frozen=True)
class Resent:
    """What `deliveries_resend` did: `resent` deliveries made due again; `purged` of those asked
    for no longer exist (the purge deleted them, with their event, after the retention period:
    purge.py), so they cannot be sent again."""

    resent: int
    purged: int


def deliveries_resend(*, delivery_ids: list[int], actor: Any) -> Resent:
    """Send these deliveries again (delivered or given up ones too), from the worker's next run;
    the ones purged meanwhile are counted, for the staff member to be told."""
    _admin(actor)
    asked = set(delivery_ids)
    now = timezone.now()
    with transaction.atomic():
        ids = sorted(Delivery.objects.filter(pk__in=asked).values_list("pk", flat=True))
        count = Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            give_up_at=now + _retry_period(),
            delivered_at=None,
            given_up_at=None,
        )
        if count:
            audit_record(action="webhook.resend", actor=actor, after={"deliveries": ids})
    return Resent(resent=count, purged=len(asked) - count)


# Events a replay locks and makes due per transaction: a replay from evt_0 on millions of
# events holds no lock on the later ones, nor one huge transaction (tests make it small).
REPLAY_BATCH = 1000


def events_replay(
    *, endpoint: Endpoint | int, after: int, actor: Any, batch: int = REPLAY_BATCH
) -> int:
    """Send an endpoint every event after id `after` it wants again, in order (a receiver that
    was down or lost its data). Returns how many deliveries were made due.

    In batches of `batch` events, in id order, each its own transaction: the batch's events
    are locked (FOR NO KEY UPDATE), their missing deliveries written and every delivery in its
    id range made due, then it commits, releasing its locks. A purge (purge.py) that locked
    events first has deleted them by the time their batch reads them, so they are simply not
    replayed; one that comes second waits for that batch only, then finds them pending again and
    keeps them. Either way no delivery is written for an event deleted meanwhile. The ranges
    follow one another, so each delivery is made due once per call, whatever `batch` is.

    The one audit entry is written with the last batch: it exists only if the replay finished.
    One stopped halfway (a lost connection, a killed process) leaves its committed batches
    due and nothing else; run again, it writes no second delivery (one per event and endpoint)
    and makes those due again. Each batch is a durable transaction: calling this inside
    another transaction.atomic() (which would make the batches one again) is an error."""
    _admin(actor)
    if batch < 1:
        raise ValueError("A replay's batch holds at least one event.")
    pk = endpoint.pk if isinstance(endpoint, Endpoint) else endpoint
    row = Endpoint.objects.get(pk=pk)
    now = timezone.now()
    events = Event.objects.filter(dispatched=True)
    if row.event_types:
        events = events.filter(type__in=row.event_types)
    count, start = 0, after
    while True:
        with transaction.atomic(durable=True):
            pairs = list(
                events.filter(pk__gt=start)
                .select_for_update(no_key=True)
                .order_by("pk")
                .values_list("pk", "customer_id")[:batch]
            )
            Delivery.objects.bulk_create(
                [
                    Delivery(endpoint_id=pk, event_id=event_id, customer_id=customer_id,
                             next_attempt_at=now, give_up_at=now + _retry_period())
                    for event_id, customer_id in pairs
                ],
                ignore_conflicts=True,
            )  # fmt: skip
            # This batch's range of ids: up to its last event, or open-ended for the last batch;
            # only the types the endpoint wants now (its old deliveries of a type it dropped
            # stay as they are).
            last = pairs[-1][0] if len(pairs) == batch else None
            due = Delivery.objects.filter(endpoint_id=pk, event_id__gt=start)
            if row.event_types:
                due = due.filter(event__type__in=row.event_types)
            if last is not None:
                due = due.filter(event_id__lte=last)
            count += due.update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                give_up_at=now + _retry_period(),
                delivered_at=None,
                given_up_at=None,
            )
            if last is None:
                audit_record(
                    action="webhook.replay",
                    actor=actor,
                    obj=row,
                    after={"after": after, "due": count},
                )
                return count
        start = last


def event_id_parse(text: str | int | None) -> int:
    """`evt_123` or `123` → 123; 0 for nothing."""
    if text in (None, ""):
        return 0
    value = str(text).strip().removeprefix("evt_")
    if not value.isdigit():
        raise WebhookError("An event id looks like evt_123.", field="after")
    return int(value)
