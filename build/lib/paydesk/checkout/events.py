"""Where a gateway event becomes money: the one place every gateway's answer is applied to the
ledger (webhooks, returns, reconciliation, a card's answer at checkout), and the payment log that
records each event received and each request Paydesk made.

- Binding (docs/gateways.md, "Binding and late outcomes"): an event reaches a payment only
  through identifiers Paydesk set server-side or the gateway's server returned
  (`_bound_payment`); one gateway transaction credits at most one payment.
- A payment already final is never edited: money a gateway confirms for a cancelled payment
  becomes a new, linked late payment (`_late_payment`).
- Each received event is one payment-log row, its result written once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from paydesk.audit.services import audit_record
from paydesk.checkout.models import (
    EventResult,
    LogChannel,
    LogDirection,
    MethodConfig,
    PaymentLogEntry,
    Quote,
)
from paydesk.checkout.quotes import multiply_exact
from paydesk.errors import (
    AmountMismatch,
    GatewayError,
    PaydeskError,
    PaymentError,
)
from paydesk.gateways.base import (
    GatewayEvent,
    Outcome,
)
from paydesk.gateways.http import Exchange
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.services import (
    PaidDetails,
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.money import (
    Money,
    currency_exponent,
    round_half_up,
)
from paydesk.notifications.services import (
    notify_payment_completed,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventApplied:
    """What applying one event did (`entry.result`); `duplicate` when it had been seen before."""

    entry: PaymentLogEntry
    payment: Payment | None
    duplicate: bool = False


def _log(event: GatewayEvent, channel: str, **fields: Any) -> PaymentLogEntry:
    return PaymentLogEntry.objects.create(
        gateway=event.gateway,
        channel=channel,
        event_id=event.event_id[:200],
        signature_valid=event.signature_valid,
        outcome=str(event.outcome),
        summary=dict(event.summary),
        **fields,
    )


# A received event's row before Paydesk has decided what to do with it (inside the transaction
# that decides: nobody else ever sees it so). Its result is written once (checkout/guards.py).
UNDECIDED = ""


def _finish(entry: PaymentLogEntry, result: str, detail: str, payment: Payment | None) -> None:
    """Write what Paydesk did with the event: once (the database refuses a second write)."""
    entry.result, entry.detail, entry.payment = result, detail[:500], payment
    PaymentLogEntry.objects.filter(pk=entry.pk, result=UNDECIDED).update(
        result=result, detail=entry.detail, payment=payment
    )


@dataclass(frozen=True, slots=True)
class _Binding:
    """The payment an event is bound to (locked), or why it is bound to none."""

    payment: Payment | None
    refusal: str = ""


def _bound_payment(event: GatewayEvent) -> _Binding:
    """The payment this event is about, locked, found only through what Paydesk set or the
    gateway's server returned (GatewayEvent's docstring): the gateway's own reference first,
    then our reference. When both are given they must agree, and a payment that already has a
    gateway reference is never reached by an event naming another one."""
    payments = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(gateway=event.gateway)
    )
    theirs, ours = event.gateway_reference, event.payment_reference
    if theirs:
        found = payments.filter(gateway_reference=theirs).first()
        if found is not None:
            if ours and ours != found.reference:
                return _Binding(None, (
                    f"Refused: the event names payment {ours[:40]}, but {theirs[:60]} is "
                    f"{found.reference}'s."
                ))
            return _Binding(found)
    if not ours:
        return _Binding(None, "No payment of this gateway has that reference.")
    found = payments.filter(reference=ours).first()
    if found is None:
        return _Binding(None, "No payment of this gateway has that reference.")
    if theirs and found.gateway_reference and found.gateway_reference != theirs:
        return _Binding(None, (
            f"Refused: the event's {theirs[:60]} is not {found.reference}'s "
            f"({found.gateway_reference})."
        ))
    return _Binding(found)


def _expected_charge(payment: Payment) -> Money:
    quote = Quote.objects.filter(payment=payment).first()
    if quote is not None:
        return Money(quote.total_charged, quote.currency)
    if payment.paid_amount is not None and payment.paid_currency:
        return Money(payment.paid_amount, payment.paid_currency)
    return Money(payment.total, payment.customer.currency)


def _fee_in_account_currency(payment: Payment, fee: Decimal) -> Decimal:
    rate = Decimal(payment.fx_rate) if payment.fx_rate else Decimal(1)
    return round_half_up(multiply_exact(fee, rate), currency_exponent(payment.customer.currency))


def gateway_event_apply(
    *, event: GatewayEvent, channel: str = LogChannel.WEBHOOK, cancelled_by: Any = None
) -> EventApplied:
    """Apply one verified gateway event to its payment, at most once, in one transaction.

    Logs it (a replay of a logged event id is a no-op), locks the payment, skips a payment
    already final, checks amount and currency against the locked quote, then completes (credit
    = the quoted credit, whatever the rate does) or cancels it. A forged event, an unknown payment
    or a mismatched amount is logged, changes nothing, and raises GatewayError/AmountMismatch
    after the log entry is committed. `cancelled_by`: the portal user whose Cancel the gateway
    confirmed (checkout_cancel); a cancellation is recorded and audited as theirs.
    """
    refusal: PaydeskError | None = None
    with transaction.atomic():
        if not event.signature_valid:
            entry = _log(
                event, channel, result=EventResult.REFUSED, detail="Signature not valid."
            )
            applied = EventApplied(entry=entry, payment=None)
            refusal = GatewayError("The notification's signature is not valid.")
        else:
            try:
                with transaction.atomic():
                    entry = _log(event, channel, result=UNDECIDED)
            except IntegrityError:
                seen = PaymentLogEntry.objects.get(
                    gateway=event.gateway,
                    event_id=event.event_id[:200],
                    signature_valid=True,
                    direction=LogDirection.RECEIVED,
                )
                return EventApplied(entry=seen, payment=seen.payment, duplicate=True)
            applied, refusal = _apply(event, entry, cancelled_by=cancelled_by)
    if refusal is not None:
        raise refusal
    return applied


def gateway_notification_refuse(
    *, gateway: str, event_id: str, detail: str, signature_valid: bool = False
) -> PaymentLogEntry:
    """Log a notification refused before it could be read as an event (a bad signature, an
    unreadable body): `refused`, linked to no payment, never its body.

    A signed but unreadable notification keeps its id unique: a redelivery finds that entry.
    """
    fields = {
        "gateway": gateway[:20],
        "event_id": event_id[:200],
        "signature_valid": signature_valid,
        "outcome": "",
        "result": EventResult.REFUSED,
        "detail": detail[:500],
    }
    if not signature_valid:
        return PaymentLogEntry.objects.create(**fields)
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


def _apply(
    event: GatewayEvent, entry: PaymentLogEntry, *, cancelled_by: Any = None
) -> tuple[EventApplied, PaydeskError | None]:
    binding = _bound_payment(event)
    payment = binding.payment
    if payment is None:
        _finish(entry, EventResult.REFUSED, binding.refusal, None)
        if binding.refusal.startswith("Refused"):
            logger.warning("%s event %s: %s", event.gateway, event.event_id, binding.refusal)
            return EventApplied(entry, None), GatewayError(binding.refusal)
        return EventApplied(entry, None), GatewayError("The event names no known payment.")
    if payment.status == PaymentStatus.CANCELLED and event.outcome is Outcome.COMPLETED:
        return _late_payment(event, entry, payment)
    if payment.is_final:
        detail = f"Payment already {payment.status}."
        if payment.status == PaymentStatus.CANCELLED and event.outcome is Outcome.PENDING:
            detail += " Money the gateway confirms later is credited as a late payment."
        _finish(entry, EventResult.IGNORED, detail, payment)
        return EventApplied(entry, payment), None
    if event.gateway_reference and not payment.gateway_reference:
        # The gateway's id, kept before the payment turns final (a webhook can settle it before
        # the checkout's own answer is back, and a final payment is never updated again).
        try:
            with transaction.atomic():
                payment_pending_note(payment=payment, gateway_reference=event.gateway_reference)
        except IntegrityError:
            logger.warning("Payment %s: gateway reference %s belongs to another payment.",
                           payment.reference, event.gateway_reference)
    if event.outcome is Outcome.PENDING:
        if event.attention:
            logger.warning("Payment %s needs staff attention: %s", payment.reference,
                           event.attention)
            payment_pending_note(payment=payment, reason=event.attention, needs_attention=True)
        elif event.reason:
            payment_pending_note(payment=payment, reason=event.reason)
        detail = f"Needs staff attention: {event.attention}" if event.attention else (
            "Still pending at the gateway."
        )
        _finish(entry, EventResult.IGNORED, detail, payment)
        return EventApplied(entry, payment), None
    if event.outcome is Outcome.CANCELLED:
        reason = event.reason or "Cancelled at the gateway."
        payment = payment_cancel(payment=payment, reason=reason, actor=cancelled_by)
        _finish(entry, EventResult.APPLIED, f"Cancelled: {reason}", payment)
        return EventApplied(entry, payment), None
    expected = _expected_charge(payment)
    if event.amount is None or event.amount != expected:
        reported = "nothing" if event.amount is None else str(event.amount)
        detail = f"Amount mismatch: expected {expected}, gateway reported {reported}."
        _finish(entry, EventResult.REFUSED, detail, payment)
        return EventApplied(entry, payment), AmountMismatch(detail)
    credit, fee, problem = _credit_for(payment, event)
    if problem:
        _finish(entry, EventResult.REFUSED, problem, payment)
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
        _finish(entry, EventResult.REFUSED, detail, payment)
        return EventApplied(entry, payment), GatewayError(detail)
    notify_payment_completed(payment=payment)
    _finish(entry, EventResult.APPLIED, f"Completed: {payment.total} credited.", payment)
    return EventApplied(entry, payment), None


def _credit_for(payment: Payment, event: GatewayEvent) -> tuple[Decimal, Decimal | None, str]:
    """What a payment confirmed by `event` credits, the gateway's fee in the account currency,
    and why nothing can be credited ('' when it can): the quoted credit, less the gateway's fee
    when the method is set to deduct it."""
    if not event.fee:
        return payment.total, None, ""
    fee = _fee_in_account_currency(payment, event.fee)
    config = MethodConfig.objects.filter(method=payment.method).first()
    if config is None or not config.deduct_gateway_fee:
        return payment.total, fee, ""
    credit = payment.total - fee
    if credit <= 0:
        return payment.total, fee, f"The gateway's fee {event.fee} leaves nothing to credit."
    return credit, fee, ""


LATE_KEY_PREFIX = "late:"


def _late_payment(
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
        _finish(entry, EventResult.IGNORED, f"Already recorded as {earlier.reference}.", earlier)
        return EventApplied(entry, earlier), None
    expected = _expected_charge(original)
    matches = event.amount is not None and event.amount == expected
    credit, fee, problem = _credit_for(original, event) if matches else (
        original.total, None, ""
    )
    reported = "an amount it did not say" if event.amount is None else str(event.amount)
    attention = problem or (
        "" if matches else
        f"Late payment: the gateway reported {reported}, the quote was {expected}. "
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
        detail = f"Already recorded as {late.reference}." if late else (
            "Refused: that gateway transaction is already recorded."
        )
        _finish(entry, EventResult.IGNORED if late else EventResult.REFUSED, detail, late)
        return EventApplied(entry, late), None
    logger.warning(
        "Payment %s was cancelled, but %s confirmed money for it: late payment %s (%s).",
        original.reference, event.gateway, late.reference, late.status,
    )
    if late.status == PaymentStatus.COMPLETED:
        notify_payment_completed(payment=late)
        detail = (
            f"Late payment for {original.reference}: {late.total} credited as {late.reference}."
        )
    else:
        detail = f"Late payment for {original.reference} recorded as {late.reference}: {attention}"
    _finish(entry, EventResult.APPLIED, detail, late)
    return EventApplied(entry, late), None


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
