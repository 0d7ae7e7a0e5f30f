"""A voucher bonus follows the top-up that earned it (spec §7, docs/vouchers.md): when a completed
refund or chargeback takes that top-up back, the bonus goes back with it; when the chargeback is
reversed, the bonus returns.

Run as the vouchers app's payment follow-up (vouchers/apps.py, ledger/hooks.py) inside the
transaction that completes the refund, chargeback or chargeback reversal. It never edits the
bonus payment: it posts a linked row against it (`bonus_reversed`, negative; `bonus_restored`,
positive), at most one per refund or chargeback row, whatever the customer's credit.

The rule: the bonus the customer keeps is the bonus the top-up they kept would have earned. What
they kept is the top-up less its completed refunds and its chargebacks not reversed; below the
voucher's minimum activation that earns nothing, otherwise `voucher_bonus_amount` of it (the one
rounding, once). The row posted is the difference between that and what the customer holds of
the bonus now, so however many partial refunds come, the rows sum exactly to it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum

from paydesk.accounts.models import PaymentMethod
from paydesk.audit.services import audit_record
from paydesk.ledger.hooks import PaymentChange
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refund_reads import refund_returned
from paydesk.ledger.services import payment_create
from paydesk.money import plain_amount
from paydesk.vouchers.bonus import voucher_bonus_amount
from paydesk.vouchers.models import VoucherActivation

# The rows that change what the customer kept of a top-up, and how a reversal names them.
_TAKES_BACK = {
    PaymentRelation.REFUND: "refunded",
    PaymentRelation.CHARGEBACK: "charged back",
}
_GIVES_BACK = {PaymentRelation.CHARGEBACK_REVERSED: "chargeback reversed"}
_ADJUSTS = (PaymentRelation.BONUS_REVERSED, PaymentRelation.BONUS_RESTORED)


def voucher_bonus_due(*, kept: Decimal, activation: VoucherActivation) -> Decimal:
    """The bonus a top-up the customer kept `kept` of is worth: nothing below the voucher's
    minimum activation, else what a top-up of `kept` would have earned."""
    batch = activation.voucher.batch
    if kept <= 0 or kept < batch.minimum_activation:
        return Decimal(0)
    return voucher_bonus_amount(
        topup=kept, multiplier=batch.multiplier, addition=batch.addition, currency=batch.currency
    )


def voucher_bonus_follow(change: PaymentChange) -> Payment | None:
    """The ledger's follow-up: when a refund, chargeback or chargeback reversal of a top-up that
    earned a bonus completes, post what changes in the bonus. Returns the row posted, or None."""
    trigger = change.payment
    if not change.completes or trigger.original_id is None:
        return None
    if trigger.relation not in _TAKES_BACK and trigger.relation not in _GIVES_BACK:
        return None
    activation = (
        VoucherActivation.objects.select_related(
            "voucher__batch", "applied_payment", "bonus_payment"
        )
        .filter(applied_payment_id=trigger.original_id)
        .first()
    )
    if activation is None:
        return None
    topup, bonus = activation.applied_payment, activation.bonus_payment
    if topup is None or bonus is None:  # an applied activation has both (its CHECK)
        return None
    # No lock of our own: the trigger's posting moved the customer's balance, and that row stays
    # locked until this transaction ends, so another change of this customer's payments waits
    # for it and then reads (each statement reading what is committed) what this one posted.
    returned = refund_returned(payment=topup)
    kept = topup.total - returned.refunded - returned.charged_back
    due = voucher_bonus_due(kept=kept, activation=activation)
    # What the customer holds of the bonus now, and what of that these rows moved (one query).
    sums = Payment.objects.filter(original=bonus, status=PaymentStatus.COMPLETED).aggregate(
        all=Sum("total"), ours=Sum("total", filter=Q(relation__in=_ADJUSTS))
    )
    held = bonus.total + (sums["all"] or Decimal(0))
    reversed_net = -(sums["ours"] or Decimal(0))
    change_by = due - held
    if change_by < 0:
        relation, words = PaymentRelation.BONUS_REVERSED, _TAKES_BACK.get(trigger.relation)
        description = f"Voucher bonus reversed: {topup.reference} {words}"
    else:
        # Give back only what these rows took: never a bonus Finance took back by hand.
        change_by = min(change_by, reversed_net)
        relation, words = PaymentRelation.BONUS_RESTORED, _GIVES_BACK.get(trigger.relation)
        description = f"Voucher bonus restored: {topup.reference} {words}"
    if change_by == 0 or words is None:
        return None
    posted = payment_create(
        customer=topup.customer,
        total=change_by,
        description=description,
        method=PaymentMethod.VOUCHER,
        status=PaymentStatus.COMPLETED,
        idempotency_key=f"voucher-bonus-follow:{trigger.pk}",
        allow_overdraft=True,  # the top-up's money is gone already, as a chargeback's is
        original=bonus,
        relation=relation,
    )
    currency = activation.voucher.batch.currency
    audit_record(
        action=f"voucher.{relation}",
        actor_email="system",
        obj=activation,
        customer_id=topup.customer_id,
        after={
            "hint": activation.voucher.hint,
            "topup": topup.reference,
            "topup_kept": plain_amount(kept, currency),
            "because_of": trigger.reference,
            "bonus": bonus.reference,
            "bonus_due": plain_amount(due, currency),
            "posted": posted.reference,
            "posted_total": plain_amount(change_by, currency),
        },
    )
    return posted
