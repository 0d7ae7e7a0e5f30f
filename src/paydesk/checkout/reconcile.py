"""Reconciliation (the Kill Bill "Janitor" idea, spec §5): the worker's job that settles gateway
payments nobody told us about.

Every online-gateway payment still pending PAYDESK_RECONCILE_AFTER_MINUTES after it started is
re-queried at its gateway and completed, cancelled or left pending with the gateway's reason.
One still not paid — or never started — at its gateway PAYDESK_ABANDON_AFTER_MINUTES after it
started is cancelled as abandoned (a gateway that looks a payment up by searching — Stripe, for a
checkout whose answer never came — must also have had time to index it:
GatewayAnswer.refused_counts_after), unless its money is on its way (`in_flight`) or staff must
look at it. A gateway that does not answer leaves the payment pending with that reason, to be
asked again on the next run. Each action is in the payment log (channel "reconcile").

The late watch: an online payment cancelled within PAYDESK_LATE_WATCH_HOURS is asked about again
(at most once per PAYDESK_LATE_CHECK_EVERY_MINUTES, judged by the payment log's last request for
it), so that money its gateway confirms after the cancellation becomes a late payment even when
no webhook arrives (checkout/events/late.py).

Refunds: a refund the gateway never answered (no gateway id yet) is asked for again, with the
same idempotency key (checkout/refunds.py `refund_ask`). One the gateway acknowledged as pending
(it has the gateway's refund id) is never asked for again — an idempotency key may have expired
and a repeat would refund twice — but asked about (`refund_check`, the gateway's "retrieve a
refund"), so that a lost final notification cannot leave it pending for ever with its amount
held. A gateway that does not answer leaves it pending (a log line), never cancelled.

A run starts no new question after PAYDESK_RECONCILE_RUN_SECONDS (10 minutes), shorter than the
job's 15-minute lease: a gateway timing out on every call (10 s each, up to 600 questions a run)
would otherwise outlast the lease, and another worker's run would ask about the same rows at the
same time — two asks of one refund at once, which a gateway without an idempotency key
(Paystack: its refunds are listed, then made) can make twice. What is left waits for the next
run; pending payments and refunds are asked about before the late watch.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.models import EventResult, LogChannel, LogDirection, PaymentLogEntry
from paydesk.checkout.refunds import refund_ask, refund_check
from paydesk.checkout.services import (
    GatewayAnswer,
    online_gateway_for,
    payment_late_check,
    payment_status_refresh,
)
from paydesk.errors import GatewayError
from paydesk.gateways.base import GatewayEvent, OnlineGateway, Outcome
from paydesk.gateways.registry import gateway_for, gateway_methods
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refunds import REFUND_PREFIX

logger = logging.getLogger("paydesk.reconcile")
BATCH = 200  # payments asked about per run; the oldest first, the rest on the next run


def _online_methods() -> list[str]:
    return [m for m in gateway_methods() if isinstance(gateway_for(m), OnlineGateway)]


def _abandoned(answer: GatewayAnswer, *, cutoff: datetime, now: datetime) -> bool:
    payment = answer.payment
    if payment.status != PaymentStatus.PENDING or payment.created_at > cutoff:
        return False
    if payment.needs_attention or answer.unavailable:
        return False
    if answer.refused:  # the gateway has never heard of it: the checkout never got there
        # A search's "nothing found" counts only once the gateway's index has caught up.
        settles = answer.refused_counts_after
        return settles is None or payment.created_at + settles <= now
    event = answer.event
    return event is not None and event.outcome is Outcome.PENDING and not event.in_flight


def _abandon(payment: Payment, display_name: str, minutes: int) -> bool:
    """Cancel a payment nobody paid, through the one place events move money (so it is logged
    once, as the event `reconcile:<reference>:abandoned`, like any other outcome)."""
    reason = f"Abandoned: not paid at {display_name} within {minutes} minutes."
    event = GatewayEvent(
        gateway=payment.gateway,
        event_id=f"reconcile:{payment.reference}:abandoned",
        outcome=Outcome.CANCELLED,
        payment_reference=payment.reference,
        gateway_reference=payment.gateway_reference,
        reason=reason,
        summary={"source": "reconciliation", "minutes": str(minutes)},
    )
    try:
        applied = gateway_event_apply(event=event, channel=LogChannel.RECONCILE)
    except GatewayError as error:
        logger.warning("Reconciliation could not abandon %s: %s", payment.reference, error.message)
        return False
    if applied.duplicate or applied.entry.result != EventResult.APPLIED:
        return False  # settled meanwhile (a late webhook)
    logger.info("Reconciliation cancelled %s: %s", payment.reference, reason)
    return True


def _in_time(deadline: float) -> bool:
    """Whether a run may still start a question (its budget not spent)."""
    return time.monotonic() < deadline


def _late_watch(*, now: datetime, deadline: float) -> int:
    """Ask the gateways about recently cancelled online payments; how many late payments that
    recorded."""
    since = now - timedelta(hours=settings.PAYDESK_LATE_WATCH_HOURS)
    asked_since = now - timedelta(minutes=settings.PAYDESK_LATE_CHECK_EVERY_MINUTES)
    asked = PaymentLogEntry.objects.filter(
        payment=OuterRef("pk"), direction=LogDirection.SENT, received_at__gte=asked_since
    )
    cancelled = (
        Payment.objects.filter(
            status=PaymentStatus.CANCELLED,
            method__in=_online_methods(),
            cancelled_at__gte=since,
            cancelled_at__lte=now,
        )
        .exclude(gateway="")
        .exclude(gateway_reference="")
        .exclude(Exists(asked))
        .order_by("cancelled_at", "id")[:BATCH]
    )
    recorded = 0
    for payment in cancelled:
        if not _in_time(deadline):
            break
        before = payment.follow_ups.count()
        payment_late_check(payment=payment)
        recorded += payment.follow_ups.count() - before
    return recorded


def _refunds_ask(*, due: datetime, deadline: float) -> int:
    """Ask the gateway again to make each refund it never answered (the same idempotency key, so
    it is never made twice), and ask it where each refund it acknowledged as pending stands; how
    many that settled."""
    waiting = (
        Payment.objects.filter(
            status=PaymentStatus.PENDING,
            relation=PaymentRelation.REFUND,
            gateway_transaction="",
            created_at__lte=due,
        )
        .exclude(gateway="")
        .order_by("created_at", "id")[:BATCH]
    )
    acknowledged = (
        Payment.objects.filter(
            status=PaymentStatus.PENDING,
            relation=PaymentRelation.REFUND,
            gateway_transaction__startswith=REFUND_PREFIX,
            created_at__lte=due,
        )
        .exclude(gateway="")
        .order_by("created_at", "id")[:BATCH]
    )
    settled = 0
    for refund in waiting:
        if not _in_time(deadline):
            break
        if refund_ask(refund=refund).status != PaymentStatus.PENDING:
            settled += 1
    for refund in acknowledged:
        if not _in_time(deadline):
            break
        if refund_check(refund=refund).status != PaymentStatus.PENDING:
            settled += 1
    return settled


def gateway_payments_reconcile(*, now: datetime | None = None) -> int:
    """One run of the job: how many payments it settled (completed or cancelled)."""
    now = now or timezone.now()
    due = now - timedelta(minutes=settings.PAYDESK_RECONCILE_AFTER_MINUTES)
    minutes = settings.PAYDESK_ABANDON_AFTER_MINUTES
    cutoff = now - timedelta(minutes=minutes)
    pending = (
        Payment.objects.filter(
            status=PaymentStatus.PENDING, method__in=_online_methods(), created_at__lte=due
        )
        .exclude(gateway="")
        .filter(relation="")
        .order_by("created_at", "id")[:BATCH]
    )
    deadline = time.monotonic() + settings.PAYDESK_RECONCILE_RUN_SECONDS
    settled = _refunds_ask(due=due, deadline=deadline)
    for payment in pending:
        if not _in_time(deadline):
            break
        gateway = online_gateway_for(payment)
        if gateway is None:
            continue
        answer = payment_status_refresh(payment=payment)
        if answer.payment.status != PaymentStatus.PENDING:
            settled += 1
        elif _abandoned(answer, cutoff=cutoff, now=now) and _abandon(
            answer.payment, gateway.display_name, minutes
        ):
            settled += 1
    return settled + _late_watch(now=now, deadline=deadline)
