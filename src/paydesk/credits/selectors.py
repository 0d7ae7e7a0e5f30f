"""Reads for four eyes on manual credits: the threshold of a currency, whether a credit needs a
second person, and the credits awaiting approval. Never writes.

The threshold (PAYDESK_CREDIT_TWO_PERSON_THRESHOLD) has the bank transfers' semantics — an amount
in the account currency, a credit strictly above it needs a second person — and by default the
same value as PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD. Since one number means very different money
in JPY and in KWD, the setting may name other amounts per currency:
`1000,JPY=150000,KWD=300` (1000 in every other currency), parsed once by the settings
(settings/values.py). No conversion, no exchange rate: a rule that decides who may move money
never depends on a rate being present.

The threshold also bounds what one person credits one customer over a rolling day
(CREDIT_WINDOW): manual credits entered below it one by one are held once they add up to more
than it (`manual_credits_entered_since`, services.staff_payment_add), so splitting a large credit
into small ones does not get past the second person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum

from paydesk.accounts.models import PaymentMethod
from paydesk.credits.models import CreditApproval
from paydesk.ledger.models import Payment, PaymentStatus

# The rolling window over which one person's manual credits to one customer add up.
CREDIT_WINDOW = timedelta(hours=24)


def credit_threshold(currency: str) -> Decimal:
    """Manual credits above this (in `currency`, the account currency) need a second person."""
    return settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD.of(currency)


def needs_second_person(*, total: Decimal, currency: str) -> bool:
    """Whether a manual credit of `total` needs a second Finance user (purchases never do)."""
    return total > 0 and total > credit_threshold(currency)


def manual_credits_entered_since(*, customer_id: int, user_id: int, since: datetime) -> Decimal:
    """What `user_id` alone credited the customer by hand since `since`: completed manual
    credits they entered that no second person approved (an approved one had its four eyes)."""
    total = Payment.objects.filter(
        customer_id=customer_id,
        created_by_id=user_id,
        method=PaymentMethod.MANUAL,
        status=PaymentStatus.COMPLETED,
        total__gt=0,
        occurred_at__gte=since,
        credit_approval__isnull=True,
    ).aggregate(s=Sum("total"))["s"]
    return total or Decimal(0)


def credit_approval_of(payment: Payment) -> CreditApproval | None:
    return (
        CreditApproval.objects.filter(payment_id=payment.pk).select_related("requested_by").first()
    )


def credits_awaiting_approval() -> QuerySet[Payment]:
    """Pending held credits, oldest first."""
    return (
        Payment.objects.filter(status=PaymentStatus.PENDING, credit_approval__isnull=False)
        .select_related("customer", "credit_approval__requested_by")
        .order_by("created_at", "id")
    )
