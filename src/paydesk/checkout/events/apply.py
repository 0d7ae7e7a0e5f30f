"""Apply one verified gateway event about a payment's own money: complete, cancel, note it pending,
or (money confirmed after a cancellation, or other money after a completion) record a late
payment."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction

from paydesk.checkout.events.binding import (
    bound_payment,
    credit_for,
    expected_charge,
    online_description,
)
from paydesk.checkout.events.late import completed_payment_money, late_payment_record
from paydesk.checkout.events.log import UNDECIDED, EventApplied, log_finish, log_received
from paydesk.checkout.events.returns import dispute_event_apply, refund_event_apply
from paydesk.checkout.models import EventResult, LogChannel, LogDirection, PaymentLogEntry
from paydesk.errors import AmountMismatch, GatewayError, PaydeskError
from paydesk.gateways.base import AnyGatewayEvent, DisputeEvent, GatewayEvent, Outcome, RefundEvent
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import (
    payment_cancel,
    payment_complete,
    payment_describe,
    payment_pending_note,
)
from paydesk.money import format_money
from paydesk.notifications.services import notify_payment_completed

logger = logging.getLogger("paydesk.checkout.events")


def gateway_event_apply(
    *, event: AnyGatewayEvent, channel: str = LogChannel.WEBHOOK, cancelled_by: Any = None
) -> EventApplied:
    """Apply one verified gateway event to its payment, at most once, in one transaction.

    Logs it (a replay of a logged event id is a no-op), locks the payment, skips a payment
    already final, checks amount and currency against the locked quote, then completes (credit
    = the quoted credit, whatever the rate does) or cancels it. A forged event, an unknown payment
    or a mismatched amount is logged, changes nothing, and raises GatewayError/AmountMismatch
    after the log entry is committed. `cancelled_by`: the portal user whose Cancel the gateway
    confirmed (checkout_cancel); a cancellation is recorded and audited as theirs.

    Refund and dispute events (money going back from a completed payment) take the same path:
    logged once, then applied by returns.py.
    """
    refusal: PaydeskError | None = None
    with transaction.atomic():
        if not event.signature_valid:
            entry = log_received(
                event, channel, result=EventResult.REFUSED, detail="Signature not valid."
            )
            applied = EventApplied(entry=entry, payment=None)
            refusal = GatewayError("The notification's signature is not valid.")
        else:
            try:
                with transaction.atomic():
                    entry = log_received(event, channel, result=UNDECIDED)
            except IntegrityError:
                seen = PaymentLogEntry.objects.get(
                    gateway=event.gateway,
                    event_id=event.event_id[:200],
                    signature_valid=True,
                    direction=LogDirection.RECEIVED,
                )
                return EventApplied(entry=seen, payment=seen.payment, duplicate=True)
            if isinstance(event, RefundEvent):
                applied, refusal = refund_event_apply(event, entry)
            elif isinstance(event, DisputeEvent):
                applied, refusal = dispute_event_apply(event, entry)
            else:
                applied, refusal = _apply(event, entry, cancelled_by=cancelled_by)
    if refusal is not None:
        raise refusal
    return applied


def _describe(payment: Payment, instrument: str) -> None:
    """Name the card (or other instrument) the gateway's server reported in the plain
    description Paydesk set at the start (when it could not name it then), while the payment is
    still pending; a description staff changed stays."""
    name = gateway_for(payment.method).display_name  # SEPA Direct Debit, through Stripe's
    charged = expected_charge(payment)
    described = online_description(name, charged, instrument[:60])
    if payment_describe(
        payment=payment, description=described, replacing=online_description(name, charged)
    ):
        payment.description = described


def _apply(
    event: GatewayEvent, entry: PaymentLogEntry, *, cancelled_by: Any = None
) -> tuple[EventApplied, PaydeskError | None]:
    binding = bound_payment(event)
    payment = binding.payment
    if payment is None:
        log_finish(entry, EventResult.REFUSED, binding.refusal, None)
        if binding.refusal.startswith("Refused"):
            logger.warning("%s event %s: %s", event.gateway, event.event_id, binding.refusal)
            return EventApplied(entry, None), GatewayError(binding.refusal)
        return EventApplied(entry, None), GatewayError("The event names no known payment.")
    if event.instrument and payment.status == PaymentStatus.PENDING:
        _describe(payment, event.instrument)
    if payment.status == PaymentStatus.CANCELLED and event.outcome is Outcome.COMPLETED:
        return late_payment_record(event, entry, payment)
    if payment.status == PaymentStatus.COMPLETED and event.outcome is Outcome.COMPLETED:
        further = completed_payment_money(event, entry, payment)
        if further is not None:
            return further
    if payment.is_final:
        detail = f"Payment already {payment.status}."
        if payment.status == PaymentStatus.CANCELLED and event.outcome is Outcome.PENDING:
            detail += " Money the gateway confirms later is credited as a late payment."
        log_finish(entry, EventResult.IGNORED, detail, payment)
        return EventApplied(entry, payment), None
    if event.gateway_reference and not payment.gateway_reference:
        # The gateway's id, kept before the payment turns final (a webhook can settle it before
        # the checkout's own answer is back, and a final payment is never updated again).
        try:
            with transaction.atomic():
                payment_pending_note(payment=payment, gateway_reference=event.gateway_reference)
        except IntegrityError:
            logger.warning(
                "Payment %s: gateway reference %s belongs to another payment.",
                payment.reference,
                event.gateway_reference,
            )
    if event.outcome is Outcome.PENDING:
        # The banks settling a debit is a fact kept on the payment (never cleared by a later,
        # older pending event: webhooks may arrive out of order).
        awaiting_bank = True if event.bank_confirming else None
        if event.attention:
            logger.warning(
                "Payment %s needs staff attention: %s", payment.reference, event.attention
            )
            payment_pending_note(
                payment=payment,
                reason=event.attention,
                needs_attention=True,
                awaiting_bank=awaiting_bank,
                gateway_received=event.partly_received,
            )
        elif event.reason or awaiting_bank:
            payment_pending_note(
                payment=payment, reason=event.reason or None, awaiting_bank=awaiting_bank
            )
        detail = (
            f"Needs staff attention: {event.attention}"
            if event.attention
            else ("Still pending at the gateway.")
        )
        log_finish(entry, EventResult.IGNORED, detail, payment)
        return EventApplied(entry, payment), None
    if event.outcome is Outcome.CANCELLED:
        reason = event.reason or "Cancelled at the gateway."
        payment = payment_cancel(payment=payment, reason=reason, actor=cancelled_by)
        log_finish(entry, EventResult.APPLIED, f"Cancelled: {reason}", payment)
        return EventApplied(entry, payment), None
    expected = expected_charge(payment)
    if event.amount is None or event.amount != expected:
        reported = "nothing" if event.amount is None else str(event.amount)
        detail = f"Amount mismatch: expected {expected}, gateway reported {reported}."
        log_finish(entry, EventResult.REFUSED, detail, payment)
        return EventApplied(entry, payment), AmountMismatch(detail)
    credit, fee, problem = credit_for(payment, event)
    if problem:
        log_finish(entry, EventResult.REFUSED, problem, payment)
        return EventApplied(entry, payment), AmountMismatch(problem)
    try:
        payment = payment_complete(
            payment=payment, total=credit, fee=fee, gateway_transaction=event.transaction_id
        )
    except IntegrityError:
        detail = (
            f"Refused: {event.gateway} transaction {event.transaction_id[:60]} already credited "
            "another payment."
        )
        logger.warning("Payment %s: %s", payment.reference, detail)
        log_finish(entry, EventResult.REFUSED, detail, payment)
        return EventApplied(entry, payment), GatewayError(detail)
    notify_payment_completed(payment=payment)
    credited = format_money(payment.total, payment.customer.currency)
    log_finish(entry, EventResult.APPLIED, f"Completed: {credited} credited.", payment)
    return EventApplied(entry, payment), None
