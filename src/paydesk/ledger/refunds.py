"""Money going back: refunds (Finance's, or made in a gateway's dashboard) and chargebacks.

A completed top-up is never edited. Each refund, chargeback and chargeback reversal is its own
payment row linked to it (`original`, `relation`):

- a refund is negative, Pending until the gateway confirms it, then Completed (or Cancelled
  with the gateway's reason); a refund made outside any gateway is Completed at once;
- the refunds of a payment, pending or completed, never exceed what it credited: `RefundLimit`
  holds their sum, moved by one conditional UPDATE and bounded by a database CHECK, so two
  people refunding at once cannot both pass;
- a refund Finance asks for must fit the customer's available credit (the money may already
  have been spent on calls) unless they allow an overdraft; one the gateway already made posts
  whatever the credit, since the money is gone;
- a chargeback is negative and Completed at once, whatever the credit; a chargeback reversed
  gives it back. Each is recorded once per dispute (its `gateway_transaction`), never refused;
- what is left to refund is also less the chargebacks not reversed (the gateway already gave
  that money back), except for a refund the gateway reports it made. Refunds and chargebacks of
  a payment take its row lock first (`original_locked`), so each sees the others.

Amounts: `total` is in the account currency. When the payer paid in another currency (or paid a
surcharge), the amount at the gateway is the same share of what was paid; the refund that
completes a full refund takes exactly what is left, so the sums never drift by a rounding.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction

from paydesk.errors import InsufficientCredit, InvalidAmount, PaymentError, RefundRefused
from paydesk.ledger.models import (
    Dispute,
    Payment,
    PaymentRelation,
    PaymentStatus,
    RefundLimit,
)
from paydesk.ledger.posting import PaidDetails, acting_user, checked_total
from paydesk.ledger.refund_reads import Returned, refund_returned
from paydesk.ledger.services import (
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.money import (
    currency_exponent,
    decimal_places,
    format_money,
    round_half_up,
    to_storage_units,
)

REFUND_PREFIX = "refund:"
CHARGEBACK_PREFIX = "chargeback:"
REVERSAL_PREFIX = "chargeback-reversed:"
# Payments that can be refunded: completed top-ups that stand alone or are late payments.
REFUNDABLE_RELATIONS = ("", PaymentRelation.LATE_PAYMENT)


def refund_left(*, payment: Payment) -> Decimal:
    """How much of `payment` can still be refunded, in the account currency."""
    if payment.status != PaymentStatus.COMPLETED or payment.total <= 0:
        return Decimal(0)
    if payment.relation not in REFUNDABLE_RELATIONS:
        return Decimal(0)
    returned = refund_returned(payment=payment)
    gone = max(returned.charged_back, Decimal(0)) + max(returned.taken_back, Decimal(0))
    return max(payment.total - returned.held - gone, Decimal(0))


def refund_refusal(*, payment: Payment, left: Decimal, chargebacks: bool = True) -> str:
    """Why no more than `left` of `payment` can be refunded, as Finance reads it: what is left,
    and (unless `chargebacks` is False: they did not count) the chargebacks that took part of it
    back (the gateway already returned that money to the payer: refunding it too would give it
    back twice)."""
    currency = payment.customer.currency
    if left > 0:
        said = (
            f"At most {format_money(left, currency)} of {payment.reference} can still be refunded"
        )
    else:
        said = f"Nothing of payment {payment.reference} can be refunded"
    returned = refund_returned(payment=payment)
    if not chargebacks or returned.charged_back <= 0:
        return f"{said}."
    reversed_ = Dispute.objects.filter(payment=payment, reversal__isnull=False)
    references = [
        row.reference
        for row in Payment.objects.filter(original=payment, relation=PaymentRelation.CHARGEBACK)
        .exclude(pk__in=reversed_.values("chargeback_id"))
        .order_by("id")
    ]
    by = "chargebacks" if len(references) > 1 else "chargeback"
    return (
        f"{said}: the gateway already took {format_money(returned.charged_back, currency)} of it "
        f"back by {by} {', '.join(references)}, and refunding that too would pay it back twice."
    )


def refund_total_check(*, payment: Payment, total: Decimal) -> None:
    """Refuse (InvalidAmount) a refund Finance asks for with more decimals than the account
    currency has: no gateway sends back a fraction of a cent. All that is left may keep the
    payment's own decimals."""
    places = currency_exponent(payment.customer.currency)
    if decimal_places(total) > places and total != refund_left(payment=payment):
        most = f"at most {places} decimals" if places else "no decimals"
        raise InvalidAmount(f"A refund in {payment.customer.currency} has {most}.", field="total")


def _paid_share(original: Payment, total: Decimal, returned: Returned, left: Decimal) -> Decimal:
    """The amount in the paid currency that matches `total` of the account currency."""
    if original.paid_amount is None:
        return total
    paid_left = original.paid_amount - returned.refunded_paid
    if total == left:
        return paid_left
    share = original.paid_amount * total / original.total
    return round_half_up(share, currency_exponent(original.paid_currency or ""))


def refund_total_for(*, original: Payment, paid_amount: Decimal) -> Decimal:
    """The account-currency total of a refund of `paid_amount` made at the gateway (in the paid
    currency): the same share of the credit, or exactly what is left when it empties the
    payment."""
    if original.paid_amount is None:
        return paid_amount
    returned = refund_returned(payment=original)
    paid_left = original.paid_amount - returned.refunded_paid
    total_left = original.total - returned.held
    if paid_amount >= paid_left and total_left > 0:
        return total_left
    share = original.total * paid_amount / original.paid_amount
    return round_half_up(share, currency_exponent(original.customer.currency))


def dispute_total_for(*, original: Payment, paid_amount: Decimal) -> Decimal:
    """The account-currency value of a dispute of `paid_amount` (in the paid currency): the
    whole credit when it is for all that was paid, else as a refund of that amount would be."""
    if original.paid_amount is not None and paid_amount >= original.paid_amount:
        return original.total
    return refund_total_for(original=original, paid_amount=paid_amount)


def original_locked(payment: Payment | int) -> Payment:
    """The refunded or disputed payment, its row locked for this transaction: every refund and
    chargeback of it takes this lock first, so each sees what the others did."""
    pk = payment.pk if isinstance(payment, Payment) else payment
    return Payment.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)


def refundable_check(original: Payment) -> None:
    """Refuse (RefundRefused) a payment that is not a completed top-up standing alone or a
    late payment: a purchase, one still pending, a refund or chargeback itself."""
    if original.status != PaymentStatus.COMPLETED or original.total <= 0:
        raise RefundRefused(
            f"Only a completed top-up can be refunded; {original.reference} is "
            f"{'a purchase' if original.total < 0 else original.get_status_display().lower()}."
        )
    if original.relation not in REFUNDABLE_RELATIONS:
        raise RefundRefused(
            f"{original.reference} is a {original.get_relation_display().lower()}: refund the "
            "payment it follows instead."
        )


def _move_held(payment_id: int, amount: Decimal) -> bool:
    """held += amount, only while it stays within the limit (one conditional UPDATE, bounded by
    the database's CHECK as well). False when it would not."""
    qn = connection.ops.quote_name
    table = qn(RefundLimit._meta.db_table)
    units = to_storage_units(amount)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {qn('held')} = {qn('held')} + %s WHERE {qn('payment_id')} = %s "
            f"AND {qn('held')} + %s <= {qn('limit')} AND {qn('held')} + %s >= 0",
            [units, payment_id, units, units],
        )
        return cursor.rowcount == 1


def _hold(original: Payment, total: Decimal) -> None:
    """Add `total` to what the original's refunds hold, or refuse."""
    RefundLimit.objects.get_or_create(payment=original, defaults={"limit": original.total})
    if not _move_held(original.pk, total):
        raise RefundRefused(
            f"That is more than is left to refund of {original.reference}.", field="total"
        )


def _release(original_id: int, total: Decimal) -> None:
    _move_held(original_id, -total)


def refund_create(
    *,
    original: Payment | int,
    total: object,
    reason: str,
    actor: Any = None,
    status: str = PaymentStatus.PENDING,
    allow_overdraft: bool = False,
    paid_amount: Decimal | None = None,
    gateway_transaction: str = "",
    idempotency_key: str | None = None,
    description: str = "",
    at: datetime | None = None,
    made_at_gateway: bool = False,
) -> Payment:
    """A refund of `total` (account currency, above zero) of a completed top-up: a negative row
    linked to it, Pending (the gateway is asked next) or Completed (made outside a gateway, or
    already made at the gateway).

    Refused (RefundRefused) past what is left to refund; refused (InsufficientCredit) when the
    customer's available credit does not cover it, unless `allow_overdraft`. `paid_amount`:
    what goes back in the paid currency when the gateway said it; otherwise the same share.
    With an `idempotency_key` already used for this customer, that refund is returned.
    `made_at_gateway`: a refund the gateway reports it made (its dashboard): the money is gone,
    so it is recorded even past the payment's chargebacks (never past its other refunds).
    """
    total = checked_total(total)
    if total <= 0:
        raise InvalidAmount("Say how much to refund, above zero.", field="total")
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Say why the payment is refunded.", field="reason")
    acting_user(actor)
    with transaction.atomic():
        locked = original_locked(original)
        if idempotency_key is not None:
            existing = Payment.objects.filter(
                customer_id=locked.customer_id, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return existing
        refundable_check(locked)
        returned = refund_returned(payment=locked)
        left = refund_left(payment=locked)
        if made_at_gateway:
            left = max(locked.total - returned.held, Decimal(0))
        if total > left:
            why = refund_refusal(payment=locked, left=left, chargebacks=not made_at_gateway)
            raise RefundRefused(why, field="total")
        customer = locked.customer
        customer.refresh_from_db(fields=["balance", "debit_limit"])
        if not allow_overdraft and customer.balance + customer.debit_limit - total < 0:
            available = format_money(customer.available_credit, customer.currency)
            raise InsufficientCredit(
                f"Refunding {format_money(total, customer.currency)} would take the account "
                f"below its available credit ({available}): the money may already be spent. "
                "Tick Allow overdraft to refund anyway.",
                field="total",
            )
        paid_back = (
            paid_amount if paid_amount is not None else _paid_share(locked, total, returned, left)
        )
        _hold(locked, total)
        paid = None
        if locked.paid_amount is not None and locked.paid_currency:
            paid = PaidDetails(
                amount=-paid_back,
                currency=locked.paid_currency,
                fx_rate=locked.fx_rate or "1",
                surcharge=Decimal(0),
            )
        return payment_create(
            customer=customer,
            total=-total,
            description=description or f"Refund of {locked.reference}: {reason}",
            method=locked.method,
            status=status,
            actor=actor,
            gateway=locked.gateway,
            gateway_transaction=gateway_transaction,
            idempotency_key=idempotency_key,
            allow_overdraft=True,  # checked above, before anything was held
            original=locked,
            relation=PaymentRelation.REFUND,
            paid=paid,
            at=at,
        )


def refund_settle(
    *,
    refund: Payment | int,
    completed: bool,
    reason: str = "",
    gateway_transaction: str = "",
    actor: Any = None,
) -> Payment:
    """A pending refund's answer from the gateway: Completed (the balance is debited, whatever
    the credit: the money has left) or Cancelled with the gateway's reason (what it held is
    released, so it can be refunded again)."""
    pk = refund.pk if isinstance(refund, Payment) else refund
    with transaction.atomic():
        row = Payment.objects.get(pk=pk)
        if row.relation != PaymentRelation.REFUND:
            raise PaymentError(f"{row.reference} is not a refund.")
        if completed:
            return payment_complete(
                payment=row,
                actor=actor,
                allow_overdraft=True,
                gateway_transaction=gateway_transaction,
                refund_answer=True,
            )
        cancelled = payment_cancel(
            payment=row,
            reason=reason or "The gateway declined the refund.",
            actor=actor,
            refund_answer=True,
        )
        if row.original_id is not None:  # a refund always has it (payment_relation_has_original)
            _release(row.original_id, -row.total)
        return cancelled


def refund_note(
    *,
    refund: Payment,
    gateway_transaction: str = "",
    reason: str | None = None,
    needs_attention: bool | None = None,
) -> bool:
    """Keep the gateway's id of a pending refund (and why it waits, and whether Finance must
    look at it); False once it is final."""
    return payment_pending_note(
        payment=refund,
        gateway_transaction=gateway_transaction or None,
        reason=reason,
        needs_attention=needs_attention,
    )


# A gateway's reason code: words joined by underscores ("product_not_received" from Stripe,
# "MERCHANDISE_OR_SERVICE_NOT_RECEIVED" from PayPal).
_REASON_CODE = re.compile(r"\b[A-Za-z]+(?:_[A-Za-z]+)+\b")


def readable_reason(reason: str) -> str:
    """A dispute's reason as the customer reads it on their chargeback row: each gateway code
    in words ("product not received"); the rest (a PayPal case id, a sentence) as it came."""
    return _REASON_CODE.sub(lambda code: code.group(0).replace("_", " ").lower(), reason)


def chargeback_record(
    *,
    original: Payment,
    total: Decimal,
    dispute_id: str,
    reason: str = "",
    paid_amount: Decimal | None = None,
) -> tuple[Payment, bool]:
    """The gateway took `total` of `original` back (a dispute lost, funds withdrawn, a capture
    reversed): a Completed negative row, posted whatever the customer's credit. Once per
    dispute: returns (the row, whether it was created now)."""
    key = f"{CHARGEBACK_PREFIX}{dispute_id}"
    return _once(
        original=original,
        key=key,
        total=-total,
        relation=PaymentRelation.CHARGEBACK,
        description=f"Chargeback of {original.reference}"
        + (f": {readable_reason(reason)}" if reason else ""),
        paid_amount=-paid_amount if paid_amount is not None else None,
    )


def chargeback_reversal_record(
    *, original: Payment, chargeback: Payment, dispute_id: str
) -> tuple[Payment, bool]:
    """The gateway gave back what a chargeback took (the provider won the dispute): a Completed
    positive row of the chargeback's amount, linked to the disputed payment. Once per dispute."""
    return _once(
        original=original,
        key=f"{REVERSAL_PREFIX}{dispute_id}",
        total=-chargeback.total,
        relation=PaymentRelation.CHARGEBACK_REVERSED,
        description=f"Chargeback reversed for {original.reference}",
        paid_amount=None if chargeback.paid_amount is None else -chargeback.paid_amount,
    )


@transaction.atomic
def _once(
    *,
    original: Payment,
    key: str,
    total: Decimal,
    relation: str,
    description: str,
    paid_amount: Decimal | None,
) -> tuple[Payment, bool]:
    # The disputed payment's lock first, as refund_create takes it: a refund asked for while a
    # chargeback is being recorded waits for it, then sees it and refuses what it took back.
    original_locked(original)
    gateway_transaction = key[:100]
    existing = Payment.objects.filter(
        gateway=original.gateway, gateway_transaction=gateway_transaction
    ).first()
    if existing is not None:
        return existing, False
    paid = None
    if original.paid_amount is not None and original.paid_currency:
        paid = PaidDetails(
            amount=paid_amount
            if paid_amount is not None
            else (original.paid_amount if total > 0 else -original.paid_amount),
            currency=original.paid_currency,
            fx_rate=original.fx_rate or "1",
            surcharge=Decimal(0),
        )
    try:
        with transaction.atomic():
            row = payment_create(
                customer=original.customer,
                total=total,
                description=description,
                method=original.method,
                status=PaymentStatus.COMPLETED,
                gateway=original.gateway,
                gateway_transaction=gateway_transaction,
                allow_overdraft=True,  # the gateway already moved the money
                original=original,
                relation=relation,
                paid=paid,
            )
    except (IntegrityError, PaymentError):
        row = Payment.objects.get(gateway=original.gateway, gateway_transaction=gateway_transaction)
        return row, False
    return row, True
