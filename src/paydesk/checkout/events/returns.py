"""Refund and dispute events: money going back from a completed payment (ledger/refunds.py,
ledger/disputes.py post it; each later event is its own row linked to the payment).

The refunded or disputed payment is bound like any event (binding.py's rule: only identifiers
Paydesk set or the gateway's server returned): the gateway's id of the money first, then its
object, then our reference from a field our server set. A refund event reaches an existing
refund row by the gateway's refund id, or by our refund reference the gateway echoes (an
answer that overtook Paydesk's own call carries it too). Never by amount: an event with
neither is a refund made at the gateway (its dashboard), a new row, even while one of ours for
that amount waits for its answer.

One about a payment still Pending (the refund or dispute overtook the payment's own success)
raises EventTooEarly: the caller's transaction rolls back (the payment log keeps nothing of it)
and the webhook answers 409, so the gateway retries once the payment is completed.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from paydesk.checkout.events.log import EventApplied, log_finish
from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.errors import EventTooEarly, GatewayError, PaydeskError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refunds import (
    REFUND_PREFIX,
    REFUNDABLE_RELATIONS,
    dispute_total_for,
    refund_create,
    refund_note,
    refund_settle,
    refund_total_for,
)
from paydesk.money import Money
from paydesk.notifications.services import (
    notify_chargeback,
    notify_dispute_opened,
    notify_refund_issued,
)

logger = logging.getLogger("paydesk.checkout.events")


def _refused(entry: PaymentLogEntry, detail: str, payment: Payment | None = None):
    logger.warning("%s event %s: %s", entry.gateway, entry.event_id, detail)
    log_finish(entry, EventResult.REFUSED, detail, payment)
    return EventApplied(entry, payment), GatewayError(detail)


def _original(event: RefundEvent | DisputeEvent) -> Payment | None:
    """The completed payment the event is about, locked; None when none is bound."""
    payments = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(gateway=event.gateway, relation__in=REFUNDABLE_RELATIONS)
    )
    found = None
    if event.transaction_id:
        found = payments.filter(gateway_transaction=event.transaction_id[:100]).first()
    if found is None and event.gateway_reference:
        found = payments.filter(gateway_reference=event.gateway_reference[:100]).first()
    if found is None and event.payment_reference:
        found = payments.filter(reference=event.payment_reference).first()
    if found is None:
        return None
    if event.payment_reference and found.reference != event.payment_reference:
        return None  # two identifiers naming two payments: bound to neither
    return found


def _too_early(event: RefundEvent | DisputeEvent, original: Payment) -> None:
    """Refuse, for now, an event about a payment not completed yet: rolled back, retried."""
    if original.status == PaymentStatus.PENDING:
        what = "Refund" if isinstance(event, RefundEvent) else "Dispute"
        raise EventTooEarly(
            f"{what} of {original.reference}, which is still pending: not applied, the gateway "
            "retries it."
        )


def _paid_matches(original: Payment, money: Money) -> bool:
    currency = original.paid_currency or original.customer.currency
    return money.currency == currency


def _existing_refund(event: RefundEvent, original: Payment) -> Payment | None:
    """Paydesk's refund row the event is about: by the gateway's refund id, or by our refund
    reference the gateway echoes — never by amount. Every refunding gateway here carries our
    reference on the refunds Paydesk makes (docs/refunds.md, "Binding a refund event"), so an
    event without it, whose refund id Paydesk does not know, is another refund: one made in the
    gateway's dashboard, its own row, even when one of ours for the same amount is waiting for
    its answer."""
    refunds = Payment.objects.select_for_update(of=("self",)).filter(
        original=original, relation=PaymentRelation.REFUND
    )
    if event.refund_id:
        found = refunds.filter(gateway_transaction=f"{REFUND_PREFIX}{event.refund_id}"[:100])
        if (row := found.first()) is not None:
            return row
    if event.refund_reference:
        row = refunds.filter(reference=event.refund_reference).first()
        other_id = row is not None and row.gateway_transaction.startswith(REFUND_PREFIX)
        if other_id and event.refund_id:
            return None  # a second refund under our reference (not this row's id): its own row
        return row
    return None


def refund_event_apply(
    event: RefundEvent, entry: PaymentLogEntry
) -> tuple[EventApplied, PaydeskError | None]:
    original = _original(event)
    if original is None:
        return _refused(entry, "Refund of no known payment of this gateway.")
    if not _paid_matches(original, event.amount):
        return _refused(
            entry,
            f"Refund in {event.amount.currency}, but {original.reference} was paid in "
            f"{original.paid_currency or original.customer.currency}.",
            original,
        )
    gateway_id = f"{REFUND_PREFIX}{event.refund_id}"[:100] if event.refund_id else ""
    row = _existing_refund(event, original)
    if row is not None:
        return _settle_known(event, entry, row, gateway_id)
    if event.outcome is Outcome.CANCELLED:
        log_finish(entry, EventResult.IGNORED, "A refund that did not happen.", original)
        return EventApplied(entry, original), None
    _too_early(event, original)
    if original.status != PaymentStatus.COMPLETED:
        return _refused(entry, f"{original.reference} is {original.status}: nothing to refund.")
    # Made at the gateway (its dashboard): the money is gone or going, so it posts whatever the
    # customer's credit.
    total = refund_total_for(original=original, paid_amount=event.amount.amount)
    completed = event.outcome is Outcome.COMPLETED
    try:
        with transaction.atomic():
            row = refund_create(
                original=original,
                total=total,
                reason=event.reason or "made at the gateway",
                status=PaymentStatus.COMPLETED if completed else PaymentStatus.PENDING,
                allow_overdraft=True,
                made_at_gateway=True,  # recorded even after a chargeback: the money is gone
                paid_amount=event.amount.amount if original.paid_amount is not None else None,
                gateway_transaction=gateway_id,
                description=(
                    f"Refund of {original.reference} "
                    f"(made through {original.get_method_display()})"  # never the gateway's code
                ),
            )
    except IntegrityError:
        row = Payment.objects.filter(gateway=event.gateway, gateway_transaction=gateway_id).first()
        if row is None:
            raise
        log_finish(entry, EventResult.IGNORED, f"Already recorded as {row.reference}.", row)
        return EventApplied(entry, row), None
    except PaydeskError as refusal:
        return _refused(entry, f"Refund of {original.reference} not recorded: {refusal}", original)
    if completed:
        notify_refund_issued(payment=row)
    elif event.attention:
        refund_note(refund=row, reason=event.attention, needs_attention=True)
    state = "completed" if completed else "pending at the gateway"
    log_finish(
        entry, EventResult.APPLIED, f"Refund made at the gateway: {row.reference}, {state}.", row
    )
    return EventApplied(entry, row), None


def _settle_known(
    event: RefundEvent, entry: PaymentLogEntry, row: Payment, gateway_id: str
) -> tuple[EventApplied, PaydeskError | None]:
    if row.status != PaymentStatus.PENDING:
        said = str(event.outcome)
        if row.status == PaymentStatus.COMPLETED and event.outcome is Outcome.CANCELLED:
            # The gateway gave up on a refund it had confirmed: the money is back with the
            # provider. Never an edit of the final row; Finance decides what to do.
            logger.warning(
                "Refund %s was completed, now the gateway says it failed.", row.reference
            )
            detail = f"Refund {row.reference} is completed; the gateway now says {said}: check it."
            log_finish(entry, EventResult.REFUSED, detail, row)
            return EventApplied(entry, row), None
        log_finish(entry, EventResult.IGNORED, f"Refund {row.reference} already {row.status}.", row)
        return EventApplied(entry, row), None
    if gateway_id:
        refund_note(refund=row, gateway_transaction=gateway_id)
    if event.outcome is Outcome.PENDING:
        refund_note(
            refund=row,
            reason=event.attention or event.reason or "On its way at the gateway.",
            needs_attention=bool(event.attention),
        )
        log_finish(entry, EventResult.IGNORED, "Refund still pending at the gateway.", row)
        return EventApplied(entry, row), None
    if event.outcome is Outcome.COMPLETED:
        row = refund_settle(refund=row, completed=True, gateway_transaction=gateway_id)
        notify_refund_issued(payment=row)
        log_finish(entry, EventResult.APPLIED, f"Refund {row.reference} completed.", row)
        return EventApplied(entry, row), None
    reason = event.reason or "The gateway declined the refund."
    row = refund_settle(refund=row, completed=False, reason=reason)
    log_finish(entry, EventResult.APPLIED, f"Refund {row.reference} cancelled: {reason}", row)
    return EventApplied(entry, row), None


def dispute_event_apply(
    event: DisputeEvent, entry: PaymentLogEntry
) -> tuple[EventApplied, PaydeskError | None]:
    original = _original(event)
    if original is None:
        return _refused(entry, "Dispute of no known payment of this gateway.")
    _too_early(event, original)
    if original.status != PaymentStatus.COMPLETED:
        return _refused(entry, f"Dispute of {original.reference}, which is {original.status}.")
    account_total = None
    amount = currency = None
    if event.amount is not None:
        if not _paid_matches(original, event.amount):
            return _refused(
                entry,
                f"Dispute in {event.amount.currency}, but {original.reference} was paid in "
                f"{original.paid_currency or original.customer.currency}.",
                original,
            )
        amount, currency = event.amount.amount, event.amount.currency
        account_total = dispute_total_for(original=original, paid_amount=amount)
    change = dispute_apply(
        original=original,
        gateway=event.gateway,
        dispute_id=event.dispute_id,
        stage=str(event.stage),
        amount=amount,
        currency=currency or "",
        account_total=account_total,
        reason=event.reason,
        gateway_status=event.gateway_status,
        evidence_due=event.evidence_due,
        event_id=event.event_id,
    )
    if change.opened or event.stage is DisputeStage.OPENED and change.dispute.is_open:
        notify_dispute_opened(dispute=change.dispute)
    if change.posted is not None:
        notify_chargeback(payment=change.posted)  # in this transaction, once per row
        logger.warning("Dispute %s of %s: %s.", event.dispute_id, original.reference, change.detail)
    log_finish(
        entry,
        EventResult.APPLIED,
        f"Dispute {event.dispute_id}: {change.detail}.",
        change.posted or original,
    )
    return EventApplied(entry, change.posted or original), None
