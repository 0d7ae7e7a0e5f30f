"""Bonus vouchers (spec §7): a redeemed bonus voucher is armed on the account, and the next
top-up that qualifies earns its bonus — paid inside that top-up's transaction as the ledger's
"voucher-bonus" top-up step (vouchers/apps.py, ledger/hooks.py)."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from paydesk.accounts.models import PaymentMethod
from paydesk.audit.services import audit_record
from paydesk.errors import VoucherError
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.services import payment_create
from paydesk.money import currency_exponent, format_money, plain_amount, round_half_up
from paydesk.notifications.services import notify_payment_completed
from paydesk.vouchers.models import VoucherActivation

logger = logging.getLogger(__name__)

# The payments that are money coming in: a top-up standing alone, or one the gateway confirmed
# after Paydesk cancelled it. A chargeback reversed gives back the money of a top-up that was
# already counted (and its bonus comes back by bonus_reversal.py): it earns none of its own.
TOPUP_RELATIONS = ("", PaymentRelation.LATE_PAYMENT)


def voucher_bonus_amount(
    *, topup: Decimal, multiplier: Decimal, addition: Decimal, currency: str
) -> Decimal:
    """T × max(X − 1, 0) + A, rounded once (half-up) to the currency's minor unit."""
    multiple = max(multiplier - 1, Decimal(0))
    return round_half_up(topup * multiple + addition, currency_exponent(currency))


def bonus_terms(*, multiplier: Decimal, addition: Decimal, currency: str) -> str:
    """The one way Paydesk words a bonus voucher's terms, everywhere (portal, Make Payment,
    back office, demo): `a bonus of 100% of the top-up plus $5.00`, `a bonus of $5.00`,
    `a bonus of 10% of the top-up`."""
    extra = max(multiplier - 1, Decimal(0))
    amount = format_money(addition, currency) if addition > 0 else ""
    if extra <= 0:
        return _("a bonus of %(amount)s") % {"amount": amount}
    percent = f"{(extra * 100).normalize():f}"  # X = 2 → 100, X = 1.1 → 10, X = 1.125 → 12.5
    if amount:
        return _("a bonus of %(percent)s%% of the top-up plus %(amount)s") % {
            "percent": percent,
            "amount": amount,
        }
    return _("a bonus of %(percent)s%% of the top-up") % {"percent": percent}


@dataclass(frozen=True, slots=True)
class BonusPreview:
    """What a top-up crediting a given amount would earn from the customer's armed voucher."""

    amount: Decimal
    hint: str  # the voucher's masked code, never the code


def voucher_bonus_preview(
    *, customer_id: int, currency: str, credit: Decimal
) -> BonusPreview | None:
    """The bonus a top-up crediting `credit` would earn now (a read: the same voucher and rule
    voucher_bonus_for_topup applies when the top-up completes), or None."""
    activation = (
        VoucherActivation.objects.select_related("voucher__batch")
        .filter(
            customer_id=customer_id,
            applied_payment__isnull=True,
            voucher__batch__currency=currency,
            voucher__batch__minimum_activation__lte=credit,
        )
        .order_by("armed_at", "id")
        .first()
    )
    if activation is None:
        return None
    batch = activation.voucher.batch
    amount = voucher_bonus_amount(
        topup=credit, multiplier=batch.multiplier, addition=batch.addition, currency=currency
    )
    return BonusPreview(amount=amount, hint=activation.voucher.masked_code) if amount > 0 else None


@functools.cache
def armed_probe_sql() -> str:
    """The ledger's top-up probe (ledger/hooks.py): does the customer (`%s`) hold an armed bonus
    voucher? Read by the balance UPDATE of every top-up, in the same statement."""
    qn = connection.ops.quote_name
    table = qn(VoucherActivation._meta.db_table)
    return (
        f"EXISTS (SELECT 1 FROM {table} WHERE {qn('customer_id')} = %s "
        f"AND {qn('applied_payment_id')} IS NULL)"
    )


def _has_armed_activation(*, customer_id: int) -> bool:
    """Cheap test run on every completed top-up: one index probe, no ORM query building.

    Raw SQL on purpose: the ORM's query compilation would cost more than the posting itself
    (bench P1), and almost every top-up finds nothing here.
    """
    qn = connection.ops.quote_name
    sql = (
        f"SELECT 1 FROM {qn(VoucherActivation._meta.db_table)} "
        f"WHERE {qn('customer_id')} = %s AND {qn('applied_payment_id')} IS NULL LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id])
        return cursor.fetchone() is not None


def voucher_bonus_for_topup(*, payment: Payment, armed: bool | None = None) -> Payment | None:
    """Pay the bonus of the customer's oldest armed voucher this completed top-up qualifies for.

    Run as the ledger's "voucher-bonus" top-up step (vouchers/apps.py) inside the top-up's
    transaction. A purchase, a pending or
    cancelled payment, a voucher payment (a credit or another bonus) or a chargeback reversed
    (the money of a top-up counted already) never earns a bonus.
    `armed` is what the ledger's balance UPDATE already read in the same transaction (False:
    nothing armed, so no query at all); None asks here. Returns the separate, completed bonus
    payment, or None.
    """
    if (
        payment.status != PaymentStatus.COMPLETED
        or payment.total <= 0
        or payment.method == PaymentMethod.VOUCHER
        or payment.relation not in TOPUP_RELATIONS
    ):
        return None
    if armed is False:
        return None
    if armed is None and not _has_armed_activation(customer_id=payment.customer_id):
        return None
    activation = (
        VoucherActivation.objects.select_for_update(of=("self",))
        .select_related("voucher__batch")
        .filter(
            customer_id=payment.customer_id,
            applied_payment__isnull=True,
            voucher__batch__currency=F("customer__currency"),
            voucher__batch__minimum_activation__lte=payment.total,
        )
        .order_by("armed_at", "id")
        .first()
    )
    if activation is None:
        return None
    customer = payment.customer
    batch = activation.voucher.batch
    amount = voucher_bonus_amount(
        topup=payment.total,
        multiplier=batch.multiplier,
        addition=batch.addition,
        currency=batch.currency,
    )
    if amount <= 0:  # voucher_batch_issue refuses such terms; never post a zero payment
        return None
    bonus = payment_create(
        customer=customer,
        total=amount,
        description=f"Voucher bonus {activation.voucher.masked_code}",
        method=PaymentMethod.VOUCHER,
        status=PaymentStatus.COMPLETED,
        idempotency_key=f"voucher-bonus:{activation.pk}",
        at=payment.completed_at,
    )
    applied = VoucherActivation.objects.filter(
        pk=activation.pk, applied_payment__isnull=True
    ).update(applied_payment=payment, bonus_payment=bonus)
    if applied != 1:
        # The row lock above makes this unreachable; refuse rather than pay a bonus twice.
        raise VoucherError("This bonus voucher has already been applied.")
    notify_payment_completed(payment=bonus)
    audit_record(
        action="voucher.bonus",
        actor_email="system",
        obj=activation,
        customer_id=customer.pk,
        after={
            "hint": activation.voucher.hint,
            "topup": payment.reference,
            "topup_total": str(payment.total),
            "bonus": bonus.reference,
            "bonus_total": plain_amount(amount, batch.currency),
        },
    )
    return bonus
