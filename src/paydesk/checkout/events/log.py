"""The payment log's rows: one per event received (its result written once, checkout/guards.py)
and one per request Paydesk made to a gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from redis.exceptions import RedisError

from paydesk.checkout.models import EventResult, LogChannel, LogDirection, PaymentLogEntry
from paydesk.gateways.base import AnyGatewayEvent, DisputeEvent, DisputeStage, RefundEvent
from paydesk.gateways.http import Exchange
from paydesk.ledger.models import Payment
from paydesk.web.ratelimit import hit


@dataclass(frozen=True, slots=True)
class EventApplied:
    """What applying one event did (`entry.result`); `duplicate` when it had been seen before."""

    entry: PaymentLogEntry
    payment: Payment | None
    duplicate: bool = False


# What a dispute stage is called in the log's ten-character outcome column.
_STAGE_WORDS = {
    DisputeStage.FUNDS_WITHDRAWN: "withdrawn",
    DisputeStage.FUNDS_REINSTATED: "reinstated",
}


def log_received(event: AnyGatewayEvent, channel: str, **fields: Any) -> PaymentLogEntry:
    summary = dict(event.summary)
    if isinstance(event, DisputeEvent):
        outcome = _STAGE_WORDS.get(event.stage, str(event.stage))
        summary["paydesk.event"] = f"dispute {event.dispute_id}"[:200]
    else:
        outcome = str(event.outcome)
        if isinstance(event, RefundEvent):
            summary["paydesk.event"] = f"refund {event.refund_id or event.refund_reference}"[:200]
    return PaymentLogEntry.objects.create(
        gateway=event.gateway,
        channel=channel,
        event_id=event.event_id[:200],
        signature_valid=event.signature_valid,
        outcome=outcome[:10],
        summary=summary,
        **fields,
    )


# A received event's row before Paydesk has decided what to do with it (inside the transaction
# that decides: nobody else ever sees it so). Its result is written once (checkout/guards.py).
UNDECIDED = ""


def log_finish(entry: PaymentLogEntry, result: str, detail: str, payment: Payment | None) -> None:
    """Write what Paydesk did with the event: once (the database refuses a second write)."""
    entry.result, entry.detail, entry.payment = result, detail[:500], payment
    PaymentLogEntry.objects.filter(pk=entry.pk, result=UNDECIDED).update(
        result=result, detail=entry.detail, payment=payment
    )


# The event id of every notification whose signature did not verify: whatever id its headers
# claim is anyone's to write, so none is kept.
UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class UnverifiedRefused:
    """A refused unsigned or badly signed notification: its row (None past the minute's limit)
    and how many of the gateway's this minute."""

    entry: PaymentLogEntry | None
    this_minute: int


def gateway_notification_unverified(
    *, gateway: str, reason: str, source_ip: str | None
) -> UnverifiedRefused:
    """Log a notification whose signature did not verify: anyone can send one, so nothing it
    says is kept — no id from its headers, no claim from its body — only the gateway, why, and
    the address it came from; at most PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE rows per gateway a
    minute (a flood is counted, not stored). Kept when the count cannot be made (the cache down:
    `this_minute` 0): a refusal is never lost to an outage an attacker cannot cause."""
    try:
        count = hit(f"paydesk:webhook-unverified:{gateway[:20]}", window=60)
    except RedisError:
        count = 0
    if count > settings.PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE:
        return UnverifiedRefused(entry=None, this_minute=count)
    entry = PaymentLogEntry.objects.create(
        gateway=gateway[:20],
        event_id=UNVERIFIED,
        signature_valid=False,
        outcome="",
        result=EventResult.REFUSED,
        detail=reason[:500],
        summary={"source_ip": source_ip or "unknown"},
    )
    return UnverifiedRefused(entry=entry, this_minute=count)


def gateway_notification_refuse(*, gateway: str, event_id: str, detail: str) -> PaymentLogEntry:
    """Log a signed notification refused before it could be read as an event (an unreadable
    body, one the gateway did not confirm): `refused`, linked to no payment, never its body.

    Its id stays unique: a redelivery finds that entry.
    """
    fields = {
        "gateway": gateway[:20],
        "event_id": event_id[:200],
        "signature_valid": True,
        "outcome": "",
        "result": EventResult.REFUSED,
        "detail": detail[:500],
    }
    try:
        with transaction.atomic():
            return PaymentLogEntry.objects.create(**fields)
    except IntegrityError:
        return PaymentLogEntry.objects.get(
            gateway=fields["gateway"],
            event_id=fields["event_id"],
            signature_valid=True,
            direction=LogDirection.RECEIVED,
        )


def gateway_exchange_record(exchange: Exchange) -> PaymentLogEntry:
    """The payment log's line for one request Paydesk made to a gateway (the recorder named by
    PAYDESK_GATEWAY_RECORDER). Its own transaction: a rolled-back caller still leaves it."""
    payment = None
    if exchange.payment_reference:
        payment = Payment.objects.filter(reference=exchange.payment_reference).first()
    if exchange.error:
        result, outcome = EventResult.FAILED, "error"
    elif exchange.status is not None and exchange.status >= 400:
        result, outcome = EventResult.SENT, "refused"
    else:
        result, outcome = EventResult.SENT, "ok"
    summary = {
        **{f"request.{k}": v for k, v in exchange.request_summary.items()},
        **{f"response.{k}": v for k, v in exchange.response_summary.items()},
    }
    if exchange.idempotency_key:
        summary["idempotency_key"] = exchange.idempotency_key
    return PaymentLogEntry.objects.create(
        gateway=exchange.gateway[:20],
        direction=LogDirection.SENT,
        channel=LogChannel.API,
        event_id=f"{exchange.method} {exchange.path}"[:200],
        payment=payment,
        signature_valid=None,
        http_status=exchange.status,
        duration_ms=exchange.duration_ms,
        outcome=outcome,
        result=result,
        detail=exchange.error[:500],
        summary=summary,
    )
