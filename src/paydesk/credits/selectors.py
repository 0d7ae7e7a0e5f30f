"""Reads for four eyes on manual credits: the threshold of a currency, whether a credit needs a
second person, and the credits awaiting approval. Never writes.

The threshold (PAYDESK_CREDIT_TWO_PERSON_THRESHOLD) has the bank transfers' semantics — an amount
in the account currency, a credit strictly above it needs a second person — and by default the
same value as PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD. Since one number means very different money
in JPY and in KWD, the setting may name other amounts per currency:
`1000,JPY=150000,KWD=300` (1000 in every other currency), parsed once by the settings
(settings/values.py). No conversion, no exchange rate: a rule that decides who may move money
never depends on a rate being present.

The threshold also bounds what one person credits by hand over a rolling day (CREDIT_WINDOW),
in each currency, whatever the customers: manual credits entered completed and pending payments
completed by hand (for the amount expected or more) add up (`credited_by_hand_since`), and the
one that takes them above the threshold waits for a second person (services), so splitting a
large credit into small ones, or completing many payments just under it, gets past nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from paydesk.accounts.models import PaymentMethod
from paydesk.credits.models import CreditApproval, RefusedCompletionRequest
from paydesk.ledger.models import Payment, PaymentStatus

# The rolling window over which one person's manual credits to one customer add up.
CREDIT_WINDOW = timedelta(hours=24)


def credit_threshold(currency: str) -> Decimal:
    """Manual credits above this (in `currency`, the account currency) need a second person."""
    return settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD.of(currency)


def needs_second_person(*, total: Decimal, currency: str) -> bool:
    """Whether a manual credit of `total` needs a second Finance user (purchases never do)."""
    return total > 0 and total > credit_threshold(currency)


def credited_by_hand_since(*, user_id: int, currency: str, since: datetime) -> Decimal:
    """What `user_id` alone credited by hand in `currency` since `since`: the top-ups they
    completed — entered completed, or pending and completed by them, for any amount — that no
    second person approved (an approved one had its four eyes). Bank transfers are not counted:
    they have their own two-person rule (paydesk.banktransfers)."""
    rows = (
        Payment.objects.filter(
            completed_by_id=user_id,
            customer__currency=currency,
            status=PaymentStatus.COMPLETED,
            total__gt=0,
            completed_at__gte=since,
            credit_approval__isnull=True,
        )
        .exclude(method=PaymentMethod.BANK_TRANSFER)
        .values_list("total", flat=True)
    )
    # Summed here, exactly (SQLite's SUM over amounts is not): a few rows a day.
    return sum(rows, Decimal(0))


def credit_approval_of(payment: Payment) -> CreditApproval | None:
    return (
        CreditApproval.objects.filter(payment_id=payment.pk).select_related("requested_by").first()
    )


def held_reason(payment: Payment) -> str:
    """Why a held credit or a completion request waits, with the amounts and the threshold, as
    staff read it (the customer reads only "awaiting approval by the provider")."""
    approval = credit_approval_of(payment)
    return (approval.reason if approval is not None else "") or payment.pending_reason


def refused_completion_requests(payment: Payment) -> QuerySet[RefusedCompletionRequest]:
    """The refused requests to complete `payment`, oldest first."""
    return RefusedCompletionRequest.objects.filter(payment_id=payment.pk).select_related(
        "requested_by", "refused_by"
    )


def credits_awaiting_approval() -> QuerySet[Payment]:
    """Pending held credits, oldest first."""
    return (
        Payment.objects.filter(status=PaymentStatus.PENDING, credit_approval__isnull=False)
        .select_related("customer", "credit_approval__requested_by")
        .order_by("created_at", "id")
    )
