"""Money a gateway confirms for a payment Paydesk already cancelled: a new payment linked to it."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from paydesk.audit.services import audit_record
from paydesk.checkout.events.binding import credit_for, expected_charge
from paydesk.checkout.events.log import EventApplied, log_finish
from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.errors import PaydeskError, PaymentError
from paydesk.gateways.base import GatewayEvent
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.services import PaidDetails, payment_create, payment_pending_note
from paydesk.money import format_money
from paydesk.notifications.services import notify_payment_completed

logger = logging.getLogger("paydesk.checkout.events")


LATE_KEY_PREFIX = "late:"


def late_payment_record(
    event: GatewayEvent, entry: PaymentLogEntry, original: Payment
) -> tuple[EventApplied, PaydeskError | None]:
    """The gateway took money for a payment Paydesk had already cancelled (a late authorisation,
    a second payment on an expired invoice, an intent that succeeded after it was abandoned).

    The cancelled payment stays as it is (final); the money becomes a new payment linked to it,
    at most once per gateway transaction (the database's unique gateway transaction): Completed
    with the quoted credit when the gateway took exactly what was quoted, else Pending and
    flagged for Finance, who completes it with what was received. Audited, and emailed.
    """
    # A gateway that names no transaction (nor an object of its own) gets one late payment per
    # cancelled payment, whatever channel tells it: never one per telling.
    transaction_id = event.transaction_id or event.gateway_reference or original.reference
    earlier = Payment.objects.filter(
        gateway=original.gateway, gateway_transaction=transaction_id[:100]
    ).first()
    if earlier is not None:
        log_finish(entry, EventResult.IGNORED, f"Already recorded as {earlier.reference}.", earlier)
        return EventApplied(entry, earlier), None
    expected = expected_charge(original)
    matches = event.amount is not None and event.amount == expected
    credit, fee, problem = credit_for(original, event) if matches else (original.total, None, "")
    reported = "an amount it did not say" if event.amount is None else str(event.amount)
    attention = problem or (
        ""
        if matches
        else f"Late payment: the gateway reported {reported}, the quote was {expected}. "
        "Complete it with the amount actually received, or cancel it."
    )
    paid = None
    if original.paid_amount is not None and original.paid_currency:
        paid = PaidDetails(
            amount=original.paid_amount,
            currency=original.paid_currency,
            fx_rate=original.fx_rate or "1",
            surcharge=original.surcharge or Decimal(0),
        )
    late: Payment | None
    try:
        with transaction.atomic():
            late = payment_create(
                customer=original.customer,
                total=credit,
                description=f"Late payment for {original.reference}",
                method=original.method,
                status=PaymentStatus.PENDING if attention else PaymentStatus.COMPLETED,
                fee=fee,
                gateway=original.gateway,
                gateway_transaction=transaction_id,
                idempotency_key=f"{LATE_KEY_PREFIX}{original.gateway}:{transaction_id}"[:100],
                original=original,
                relation=PaymentRelation.LATE_PAYMENT,
                paid=paid,
            )
            if attention:
                payment_pending_note(payment=late, reason=attention, needs_attention=True)
                late.refresh_from_db()
            audit_record(
                action="payment.late",
                obj=late,
                customer_id=original.customer_id,
                after={
                    "reference": late.reference,
                    "original": original.reference,
                    "status": late.status,
                    "total": str(late.total),
                    "gateway": event.gateway,
                    "gateway_transaction": transaction_id,
                    "event_id": event.event_id,
                },
            )
    except (IntegrityError, PaymentError):
        # The same transaction recorded meanwhile (or for another payment: never credited twice).
        late = Payment.objects.filter(
            gateway=original.gateway, gateway_transaction=transaction_id[:100]
        ).first()
        detail = (
            f"Already recorded as {late.reference}."
            if late
            else ("Refused: that gateway transaction is already recorded.")
        )
        log_finish(entry, EventResult.IGNORED if late else EventResult.REFUSED, detail, late)
        return EventApplied(entry, late), None
    logger.warning(
        "Payment %s was cancelled, but %s confirmed money for it: late payment %s (%s).",
        original.reference,
        event.gateway,
        late.reference,
        late.status,
    )
    if late.status == PaymentStatus.COMPLETED:
        notify_payment_completed(payment=late)
        detail = (
            f"Late payment for {original.reference}: "
            f"{format_money(late.total, original.customer.currency)} credited as {late.reference}."
        )
    else:
        detail = f"Late payment for {original.reference} recorded as {late.reference}: {attention}"
    log_finish(entry, EventResult.APPLIED, detail, late)
    return EventApplied(entry, late), None
