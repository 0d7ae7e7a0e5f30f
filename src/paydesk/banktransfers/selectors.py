"""Reads for bank transfers: the provider's bank details, a customer's own transfer, the
approvals so far, and the preview of a completion (credit, rate, difference). Never writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.banktransfers.errors import TransferError
from paydesk.banktransfers.models import BankDetails, TransferApproval, TransferProof
from paydesk.documents.received import Received
from paydesk.fastsql import first_row
from paydesk.fx.selectors import Rate, convert
from paydesk.ledger.models import MONEY_BACK, Payment, PaymentStatus
from paydesk.money import (
    currency_exponent,
    decimal_places,
    format_money,
    normalize_currency,
    to_decimal,
)
from paydesk.references import canonical_payment_reference

# A bank transfer coming IN: the approval and proof workflow is for these only. A refund or a
# chargeback of a bank transfer keeps its method but is money going back (recorded as made
# outside Paydesk, docs/refunds.md): it is shown with refunds, never expected or approved here.
INCOMING_TRANSFER = Q(method=PaymentMethod.BANK_TRANSFER) & ~Q(relation__in=MONEY_BACK)


def is_incoming_transfer(payment: Payment) -> bool:
    """Whether `payment` is a bank transfer coming in (INCOMING_TRANSFER, for one row)."""
    return payment.method == PaymentMethod.BANK_TRANSFER and payment.relation not in MONEY_BACK


def bank_details_current() -> BankDetails | None:
    """The provider's bank details, or None while an Administrator has not entered them."""
    return first_row(BankDetails, "", [])


def two_person_threshold() -> Decimal:
    """Credits above this (account currency) need two Finance approvals."""
    return settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD


def transfer_for_customer(*, customer: Customer, reference: str) -> Payment | None:
    """The customer's own bank transfer by its reference typed loosely; None for anything else."""
    canonical = canonical_payment_reference(reference or "")
    if canonical is None:
        return None
    return (
        Payment.objects.select_related("customer")
        .filter(INCOMING_TRANSFER, customer=customer, reference=canonical)
        .first()
    )


def transfer_proofs(*, payment: Payment) -> QuerySet[TransferProof]:
    return TransferProof.objects.filter(payment=payment).order_by("uploaded_at", "id")


def transfer_received(payment: Payment) -> Received | None:
    """What arrived for a completed incoming transfer, as its approval recorded it (a second
    approval records the same amount, and the credit is the first's): for its receipt
    (documents.received). None for anything else, or a transfer completed before approvals
    were kept."""
    if payment.method != PaymentMethod.BANK_TRANSFER or payment.status != PaymentStatus.COMPLETED:
        return None
    approval = TransferApproval.objects.filter(payment=payment).order_by("at", "id").first()
    if approval is None:
        return None
    return Received(
        amount=approval.received_amount,
        currency=approval.received_currency,
        rate=approval.rate,
        rate_date=approval.rate_date,
    )


def transfer_approvals(*, payment: Payment) -> QuerySet[TransferApproval]:
    return (
        TransferApproval.objects.filter(payment=payment)
        .select_related("approver")
        .order_by("at", "id")
    )


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a received amount credits: in the account currency, at the day's rate."""

    received_amount: Decimal
    received_currency: str
    credit: Decimal
    rate: Rate
    expected: Decimal
    currency: str

    @property
    def difference(self) -> Decimal:
        """Credit minus the pending amount: negative when less arrived than expected."""
        return self.credit - self.expected

    @property
    def needs_two_approvals(self) -> bool:
        return self.credit > two_person_threshold()


def transfer_receipt(
    *, payment: Payment, received_amount: object, received_currency: str, on: date | None = None
) -> Receipt:
    """Convert what arrived to the account currency at the day's rate; refuse nonsense amounts."""
    currency = normalize_currency(received_currency)
    amount = to_decimal(received_amount, field="received_amount")
    if amount <= 0:
        raise TransferError("The amount received must be more than zero.", field="received_amount")
    if decimal_places(amount) > currency_exponent(currency):
        raise TransferError(
            f"{currency} allows at most {currency_exponent(currency)} decimal places.",
            field="received_amount",
        )
    account_currency = payment.customer.currency
    conversion = convert(amount=amount, from_currency=currency, to_currency=account_currency, on=on)
    if conversion.amount <= 0:
        raise TransferError(
            "That amount is worth nothing in the account currency.", field="received_amount"
        )
    return Receipt(
        received_amount=amount,
        received_currency=currency,
        credit=conversion.amount,
        rate=conversion.rate,
        expected=payment.total,
        currency=account_currency,
    )


EXPECTED_ATTRIBUTE = "transfer_expected"


def transfers_expected_attach(payments: Iterable[Payment]) -> None:
    """Give each bank transfer among `payments` (a list page) the amount it expected, in one
    query, so that transfer_amounts reads it without a query a row."""
    transfers = {p.pk: p for p in payments if is_incoming_transfer(p)}
    for payment in transfers.values():
        setattr(payment, EXPECTED_ATTRIBUTE, None)
    rows = (
        TransferApproval.objects.filter(payment_id__in=list(transfers), expected__isnull=False)
        .order_by("-at", "-id")
        .values_list("payment_id", "expected")
    )
    for payment_id, expected in rows:  # the first approval's, read last, wins
        setattr(transfers[payment_id], EXPECTED_ATTRIBUTE, expected)


@dataclass(frozen=True, slots=True)
class TransferAmounts:
    """What a bank transfer expected and what it credited (both in the account currency)."""

    expected: Decimal
    total: Decimal
    currency: str
    completed: bool

    @property
    def difference(self) -> Decimal:
        """Credited minus expected: negative when less arrived; zero until completed."""
        return self.total - self.expected if self.completed else Decimal(0)

    @property
    def differs(self) -> bool:
        return self.difference != 0

    @property
    def note(self) -> str:
        """`expected $150.00 USD, -$1.50 USD` for a transfer credited for another amount."""
        if not self.differs:
            return ""
        return (
            f"expected {format_money(self.expected, self.currency)}, "
            f"{'+' if self.difference > 0 else ''}{format_money(self.difference, self.currency)}"
        )


def transfer_amounts(*, payment: Payment) -> TransferAmounts:
    """The transfer's expected amount (kept with its first approval) beside its total now.

    Reads what transfers_expected_attach gave the payment when it has it."""
    if hasattr(payment, EXPECTED_ATTRIBUTE):
        expected = getattr(payment, EXPECTED_ATTRIBUTE)
    else:
        expected = (
            TransferApproval.objects.filter(payment=payment)
            .order_by("at", "id")
            .values_list("expected", flat=True)
            .first()
        )
    return TransferAmounts(
        expected=payment.total if expected is None else expected,
        total=payment.total,
        currency=payment.customer.currency,
        completed=payment.status == PaymentStatus.COMPLETED,
    )
