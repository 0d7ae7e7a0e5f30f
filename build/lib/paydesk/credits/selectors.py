"""Reads for four eyes on manual credits: the threshold of a currency, whether a credit needs a
second person, and the credits awaiting approval. Never writes.

The threshold (PAYDESK_CREDIT_TWO_PERSON_THRESHOLD) has the bank transfers' semantics — an amount
in the account currency, a credit strictly above it needs a second person — and by default the
same value as PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD. Since one number means very different money
in JPY and in KWD, the setting may name other amounts per currency:
`1000,JPY=150000,KWD=300` (1000 in every other currency). No conversion, no exchange rate: a rule
that decides who may move money never depends on a rate being present.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from paydesk.credits.models import CreditApproval
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import normalize_currency, to_decimal


def threshold_parse(text: str) -> tuple[Decimal, dict[str, Decimal]]:
    """`1000,JPY=150000` → (1000, {"JPY": 150000}); ImproperlyConfigured when it does not parse."""
    default: Decimal | None = None
    per_currency: dict[str, Decimal] = {}
    try:
        for part in (p.strip() for p in str(text).split(",")):
            if not part:
                continue
            code, equals, amount = part.rpartition("=")
            value = to_decimal(amount.strip())
            if value < 0:
                raise PaydeskError("negative")
            if equals:
                per_currency[normalize_currency(code.strip())] = value
            elif default is None:
                default = value
            else:
                raise PaydeskError("two defaults")
    except PaydeskError:
        default = None
    if default is None:
        raise ImproperlyConfigured(
            "PAYDESK_CREDIT_TWO_PERSON_THRESHOLD must be an amount, optionally followed by "
            f"CUR=amount pairs (e.g. 1000,JPY=150000); it is {text!r}."
        )
    return default, per_currency


def credit_threshold(currency: str) -> Decimal:
    """Manual credits above this (in `currency`, the account currency) need a second person."""
    default, per_currency = threshold_parse(settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD)
    return per_currency.get(currency, default)


def needs_second_person(*, total: Decimal, currency: str) -> bool:
    """Whether a manual credit of `total` needs a second Finance user (purchases never do)."""
    return total > 0 and total > credit_threshold(currency)


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
