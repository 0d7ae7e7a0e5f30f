"""Money a gateway confirms for a payment already final (cancelled, or completed by other money):
a new payment linked to it, never an edit of the final one."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from paydesk.audit.services import audit_record
from paydesk.checkout.events.binding import credit_for, expected_charge
from paydesk.checkout.events.log import EventApplied, log_finish
from paydesk.checkout.models import EventResult, PaymentLogEntry, Quote
from paydesk.errors import PaydeskError, PaymentError
from paydesk.gateways.base import GatewayEvent
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.services import PaidDetails, payment_create, payment_pending_note
from paydesk.money import format_money
from paydesk.notifications.services import notify_payment_completed

logger = logging.getLogger("paydesk.checkout.events")


LATE_KEY_PREFIX = "late:"


def completed_payment_money(
    event: GatewayEvent, entry: PaymentLogEntry, original: Payment
) -> tuple[EventApplied, PaydeskError | None] | None:
    """Money the gateway confirms for a payment already Completed: a late payment of its own
    when it is not the money that completed it; None when it is (a redelivery: nothing to do).

    - The transaction that completed it (or an event naming none): the same money, told again.
    - Another transaction of the gateway (a second NOWPayments payment on the invoice, a second
      capture on a Razorpay order): real money again, recorded as a late payment linked to the
      completed one, credited the quote's credit when the gateway took exactly the quote (else
      pending for Finance, as any late payment).
    - Completed without the gateway's transaction (staff completed it): if they credited less
      than it was to credit (a NOWPayments `partially_paid` completed for the part received,
      then `finished` when the payer sent the rest), the difference may be owed — a pending late
      payment for it, flagged for Finance, who complete it with what arrived or cancel it; if
      they credited it in full, nothing.
    """
    transaction_id = event.transaction_id[:100]
    if not transaction_id or transaction_id == original.gateway_transaction:
        return None
    if original.gateway_transaction:
        quote = Quote.objects.filter(payment=original).first()
        if quote is None:
            return late_payment_record(
                event,
                entry,
                original,
                credit=original.total,
                attention=(
                    f"{original.reference} was completed by another {event.gateway} transaction "
                    "and has no quote: complete this with the amount actually received, or "
                    "cancel it."
                ),
            )
        return late_payment_record(event, entry, original, credit=quote.credit)
    expected = original.expected_total
    if expected is None or expected <= original.total:
        return None
    currency = original.customer.currency
    remainder = expected - original.total
    return late_payment_record(
        event,
        entry,
        original,
        credit=remainder,
        attention=(
            f"The gateway confirmed payment {transaction_id[:40]} in full after "
            f"{original.reference} was completed with {format_money(original.total, currency)} "
            f"of {format_money(expected, currency)}. Complete this with the amount actually "
            f"received since (at most {format_money(remainder, currency)} is still to credit), "
            "or cancel it."
        ),
    )


def late_payment_record(
    event: GatewayEvent,
    entry: PaymentLogEntry,
    original: Payment,
    *,
    credit: Decimal | None = None,
    attention: str = "",
) -> tuple[EventApplied, PaydeskError | None]:
    """The gateway took money for a payment already final: cancelled (a late authorisation, a
    second payment on an expired invoice, an intent that succeeded after it was abandoned), or
    completed by other money (`completed_payment_money`).

    The final payment stays as it is; the money becomes a new payment linked to it, at most once
    per gateway transaction (the database's unique gateway transaction): Completed with the
    quoted credit (`credit`, else the original's total) when the gateway took exactly what was
    quoted and no `attention` is given, else Pending and flagged for Finance, who completes it
    with what was received. Audited, and emailed.
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
    quoted = original.total if credit is None else credit
    credit, fee, problem = credit_for(original, event, quoted) if matches else (quoted, None, "")
    reported = "an amount it did not say" if event.amount is None else str(event.amount)
    given_attention = bool(attention)
    attention = (
        attention
        or problem
        or (
            ""
            if matches
            else f"Late payment: the gateway reported {reported}, the quote was {expected}. "
            "Complete it with the amount actually received, or cancel it."
        )
    )
    paid = None
    # What the payer paid is the original's only when this is a whole payment of the same quote
    # (a caller's `attention` says the amount is Finance's to decide: the original's would lie).
    if not given_attention and original.paid_amount is not None and original.paid_currency:
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
        "Payment %s was %s, but %s confirmed more money for it: late payment %s (%s).",
        original.reference,
        original.status,
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
