"""Finance refunds a payment: through its gateway's refund API, or recorded as made outside one.

`payment_refund` holds the amount on a new pending refund row first (ledger/refunds.py: never
more than the payment, never past the available credit without *Allow overdraft*), commits it,
then asks the gateway, with an idempotency key derived from that row, so a retry never refunds
twice. The gateway's answer is applied like any event (checkout/events: logged once, bound to
the refund row) — as is the webhook that may overtake it. A gateway with no refund API
(NOWPayments), a bank transfer, a voucher or a manual entry is refunded by recording what
Finance sent back outside Paydesk (`outside`, with a note such as a transaction hash).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.audit.services import audit_record
from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.models import LogChannel, RefundQuestion
from paydesk.errors import (
    GatewayError,
    GatewayNotConfigured,
    GatewayUnavailable,
    PaymentError,
    PermissionDenied,
    RefundRefused,
)
from paydesk.gateways.base import (
    REFUND_KEY_HOURS,
    RefundFindingGateway,
    RefundingGateway,
    RefundQueryingGateway,
    RefundRequest,
)
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refunds import (
    REFUND_PREFIX,
    refund_create,
    refund_left,
    refund_note,
    refund_refusal,
    refund_settle,
    refund_total_check,
    refundable_check,
)
from paydesk.money import Money, to_decimal
from paydesk.notifications.services import notify_refund_issued

logger = logging.getLogger(__name__)

UNANSWERED = "The gateway did not answer the refund yet; Paydesk asks again."
UNCONFIRMED = "The gateway has not confirmed this refund yet; Finance is checking it."
# Asked again with its idempotency key only until this long before the gateway may forget it.
KEY_MARGIN = timedelta(hours=1)
# The longest wait between two questions about a refund left pending (RefundQuestion).
QUESTION_CAP = timedelta(hours=24)


def refund_gateway(payment: Payment) -> RefundingGateway | None:
    """The gateway that can refund `payment` through its API, or None (record it instead)."""
    if not payment.gateway:
        return None
    try:
        gateway = gateway_for(payment.method)
    except GatewayNotConfigured:
        return None
    return gateway if isinstance(gateway, RefundingGateway) else None


def payment_refund(
    *,
    payment: Payment | int,
    reason: str,
    actor: Any,
    total: object = None,
    allow_overdraft: bool = False,
    outside: bool = False,
    note: str = "",
    idempotency_key: str | None = None,
) -> Payment:
    """Refund `total` (account currency; everything left when None) of a completed top-up.

    Returns the refund row: Completed when the gateway (or Finance, outside) sent the money
    back, Pending while the gateway works on it or did not answer (reconciliation asks
    again), Cancelled with the gateway's reason when it declined. Only Finance and
    Administrators refund (PermissionDenied otherwise).
    """
    if not getattr(actor, "pk", None) or not getattr(actor, "can_move_money", False):
        raise PermissionDenied("Only Finance can refund a payment.")
    original = Payment.objects.select_related("customer").get(
        pk=payment.pk if isinstance(payment, Payment) else payment
    )
    everything_left = total in (None, "")
    amount = refund_left(payment=original) if everything_left else to_decimal(total, field="total")
    refund_total_check(payment=original, total=amount)
    gateway = refund_gateway(original)
    if gateway is not None and outside:
        raise PaymentError(
            f"Refund {original.get_method_display()} payments through {original.gateway}: a refund "
            "made in its dashboard reaches Paydesk by itself: recording one would count it twice.",
            field="outside",
        )
    if gateway is None and not outside:
        raise PaymentError(
            f"{original.get_method_display()} has no refund API here: record the refund you made "
            "outside Paydesk instead.",
            field="outside",
        )
    if idempotency_key is not None:
        repeated = Payment.objects.filter(
            customer_id=original.customer_id, idempotency_key=idempotency_key
        ).first()
        if repeated is not None:  # the same request again: its answer, nothing new
            return repeated
    if everything_left and amount <= 0:  # all refunded or charged back: say which
        refundable_check(original)
        raise RefundRefused(refund_refusal(payment=original, left=amount), field="total")
    description = ""
    if outside:
        description = f"Refund of {original.reference}: {reason.strip()}"
        if note.strip():
            description += f" #{note.strip()}"
    with transaction.atomic():
        refund = refund_create(
            original=original,
            total=amount,
            reason=reason,
            actor=actor,
            status=PaymentStatus.COMPLETED if outside else PaymentStatus.PENDING,
            allow_overdraft=allow_overdraft,
            idempotency_key=idempotency_key,
            description=description,
        )
        audit_record(
            action="payment.refund",
            actor=actor,
            obj=refund,
            customer_id=original.customer_id,
            after={
                "reference": refund.reference,
                "original": original.reference,
                "total": str(refund.total),
                "reason": reason,
                "outside": outside,
                "allow_overdraft": allow_overdraft,
            },
        )
        if outside:
            notify_refund_issued(payment=refund)
    if outside or refund.status != PaymentStatus.PENDING:
        return refund
    return refund_ask(refund=refund, gateway=gateway)


def _refund_request(refund: Payment, original: Payment) -> RefundRequest:
    """What Paydesk asked (or asks) the gateway for this refund row: the same every time."""
    currency = original.paid_currency or original.customer.currency
    paid = -refund.paid_amount if refund.paid_amount is not None else -refund.total
    return RefundRequest(
        refund_reference=refund.reference,
        payment_reference=original.reference,
        transaction_id=original.gateway_transaction,
        gateway_reference=original.gateway_reference,
        amount=Money(Decimal(paid), currency),
        reason=refund.description,
        idempotency_key=f"refund-{refund.reference}",
    )


def refund_key_expired(refund: Payment, gateway: RefundingGateway, now: datetime) -> bool:
    """Whether the gateway may have forgotten the refund's idempotency key (asked first when
    the row was made, KEY_MARGIN early): then asking again could refund twice. Never for a
    gateway whose refund call looks its refunds up first (`refund_key_hours` None)."""
    hours = getattr(gateway, "refund_key_hours", REFUND_KEY_HOURS)
    if hours is None:
        return False
    return now >= refund.created_at + timedelta(hours=hours) - KEY_MARGIN


def refund_ask(
    *, refund: Payment, gateway: RefundingGateway | None = None, now: datetime | None = None
) -> Payment:
    """Ask the gateway to make a pending refund (again: the same idempotency key), and apply its
    answer. The refund stays pending when the gateway does not answer.

    Past the gateway's idempotency window (`refund_key_expired`) it is looked up first
    (`refund_find`): found, the gateway's refund is applied and never asked for again; asked
    again only when the gateway established it has none of ours; otherwise it stays pending,
    flagged for Finance, and is looked up again at growing intervals (RefundQuestion)."""
    refund = Payment.objects.select_related("original", "customer").get(pk=refund.pk)
    original = refund.original
    assert original is not None  # a refund has one (CHECK payment_relation_has_original)
    gateway = gateway or refund_gateway(original)
    if gateway is None or refund.status != PaymentStatus.PENDING:
        return refund
    request = _refund_request(refund, original)
    now = now or timezone.now()
    if refund_key_expired(refund, gateway, now) and not _refund_absent(
        refund, gateway, request, now
    ):
        return Payment.objects.get(pk=refund.pk)
    try:
        answer = gateway.refund(request)
    except GatewayUnavailable as exc:
        logger.warning("Refund %s: the gateway did not answer (%s).", refund.reference, exc)
        refund_note(refund=refund, reason=UNANSWERED)
        return Payment.objects.get(pk=refund.pk)
    except GatewayError as exc:
        logger.warning("Refund %s refused by the gateway: %s", refund.reference, exc)
        return refund_settle(refund=refund, completed=False, reason=str(exc)[:500])  # "X refused …"
    try:
        gateway_event_apply(event=answer, channel=LogChannel.API)
    except GatewayError as exc:  # logged; the refund stays pending for Finance to look at
        logger.warning("Refund %s: the gateway's answer was refused: %s", refund.reference, exc)
    return Payment.objects.get(pk=refund.pk)


def _refund_absent(
    refund: Payment, gateway: RefundingGateway, request: RefundRequest, now: datetime
) -> bool:
    """Past the idempotency window: True when the gateway established it has no refund of ours
    (asking again cannot make a second). Found, its refund is applied; neither, the refund is
    flagged for Finance (UNCONFIRMED) and looked up again later. False in both cases."""
    name = gateway.display_name
    if not isinstance(gateway, RefundFindingGateway):
        cause = f"{name} offers no way to look a refund up by Paydesk's reference."
    else:
        try:
            found = gateway.refund_find(request)
        except GatewayError as exc:  # GatewayUnavailable too
            cause = exc.message
        else:
            if found is None:
                logger.info(
                    "Refund %s: %s has none of ours; asking for it again.", refund.reference, name
                )
                return True
            try:
                gateway_event_apply(event=found, channel=LogChannel.RECONCILE)
            except GatewayError as exc:
                cause = f"{name}'s refund {found.refund_id} was refused: {exc.message}"
            else:
                if Payment.objects.get(pk=refund.pk).status == PaymentStatus.PENDING:
                    refund_asked(refund=refund, now=now)
                return False
    logger.warning(
        "Refund %s: asked of %s on %s with no answer, its idempotency key may have expired and "
        "Paydesk cannot tell whether %s made it (%s): not asked for again; Finance must check.",
        refund.reference,
        name,
        f"{refund.created_at:%Y-%m-%d %H:%M} UTC",
        name,
        cause,
    )
    refund_note(refund=refund, reason=UNCONFIRMED, needs_attention=True)
    refund_asked(refund=refund, now=now)
    return False


def refund_asked(*, refund: Payment, now: datetime) -> RefundQuestion:
    """Note that the gateway was asked about `refund` at `now` and left it pending: the next
    question waits PAYDESK_RECONCILE_AFTER_MINUTES, then twice as long each time, at most
    QUESTION_CAP."""
    with transaction.atomic():
        question, _ = RefundQuestion.objects.select_for_update().get_or_create(
            refund_id=refund.pk, defaults={"asked_at": now, "next_at": now}
        )
        question.asked += 1
        first = timedelta(minutes=settings.PAYDESK_RECONCILE_AFTER_MINUTES)
        wait = min(first * 2 ** min(question.asked - 1, 16), QUESTION_CAP)
        question.asked_at, question.next_at = now, now + wait
        question.save(update_fields=["asked", "asked_at", "next_at"])
    return question


def refund_check(*, refund: Payment, now: datetime | None = None) -> Payment:
    """Ask the gateway where a refund it acknowledged (it has the gateway's refund id) stands
    now, and apply its answer like a notification (reconciliation: the final webhook may have
    been lost). Never asks for the refund again (an idempotency key may have expired: a repeat
    would refund twice). A gateway that does not answer, or has no way to be asked, leaves the
    refund pending — never cancelled."""
    refund = Payment.objects.select_related("original", "customer").get(pk=refund.pk)
    original = refund.original
    assert original is not None  # a refund has one (CHECK payment_relation_has_original)
    refund_id = refund.gateway_transaction.removeprefix(REFUND_PREFIX)
    gateway = refund_gateway(original)
    if (
        refund.status != PaymentStatus.PENDING
        or not refund_id
        or refund_id == refund.gateway_transaction
    ):
        return refund
    if not isinstance(gateway, RefundQueryingGateway):
        logger.info("Refund %s: its gateway cannot be asked about a refund.", refund.reference)
        return refund
    try:
        answer = gateway.refund_fetch(_refund_request(refund, original), refund_id=refund_id)
        gateway_event_apply(event=answer, channel=LogChannel.RECONCILE)
    except GatewayError as exc:  # GatewayUnavailable too: it stays pending, asked next run
        logger.warning("Refund %s: the gateway gave no usable answer (%s).", refund.reference, exc)
        return Payment.objects.get(pk=refund.pk)
    refund = Payment.objects.get(pk=refund.pk)
    if refund.status == PaymentStatus.PENDING:  # answered, still pending: asked later, less often
        refund_asked(refund=refund, now=now or timezone.now())
    return refund


def refund_waiting_words(refund: Payment) -> str:
    """What the back office says of a pending refund asked of a gateway: how it will be settled
    (never by hand) — and, for a gateway that cannot be asked where a refund stands, that only
    its notification can; '' for any other payment."""
    original = refund.original
    if refund.status != PaymentStatus.PENDING or original is None or not refund.gateway:
        return ""
    gateway = refund_gateway(original)
    if gateway is None:
        return ""
    name = gateway.display_name
    if not refund.gateway_transaction.startswith(REFUND_PREFIX) and refund.needs_attention:
        return _unconfirmed_words(refund, original, gateway)
    if not refund.gateway_transaction.startswith(REFUND_PREFIX):
        return (
            f"{name} has not answered this refund yet: Paydesk asks for it again on each "
            "reconciliation run, with the same idempotency key, so it is never made twice."
        )
    if isinstance(gateway, RefundQueryingGateway):
        return (
            f"{name} took this refund in and is working on it: Paydesk asks {name} where it "
            "stands on each reconciliation run until it completes or is cancelled."
        )
    return (
        f"{name} took this refund in and is working on it. {name} offers no way to ask where a "
        f"refund stands, so only its notification completes or cancels it: if none comes, look "
        f"the refund up in {name}'s dashboard."
    )


def _unconfirmed_words(refund: Payment, original: Payment, gateway: RefundingGateway) -> str:
    """What Finance checks for a refund flagged because its gateway may have forgotten its
    idempotency key and Paydesk could not tell whether the gateway made it."""
    name = gateway.display_name
    paid = -(refund.paid_amount if refund.paid_amount is not None else refund.total)
    money = Money(Decimal(paid), original.paid_currency or original.customer.currency)
    how = (
        "Paydesk looks it up again later"
        if isinstance(gateway, RefundFindingGateway)
        else f"{name} offers no way to look a refund up, so only its notification settles it"
    )
    return (
        f"{name} never answered this refund (asked on {refund.created_at:%Y-%m-%d %H:%M} UTC) "
        f"and may have forgotten its idempotency key since, so Paydesk does not ask for it "
        f"again: that could refund twice. {how}. Check {name}'s dashboard for a refund of "
        f"{money} of payment {original.reference} naming {refund.reference}: if there is one, "
        f"its notification or Paydesk's next look-up settles this refund; if there is none, "
        f"no money has gone back."
    )
