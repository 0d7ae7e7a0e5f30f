"""The Payment: one signed amount on a customer's account. Positive = money to the customer.

Nothing here writes a balance or moves a status: paydesk.ledger.services does, in one transaction.
The database refuses, by constraint and trigger, any change to a completed or cancelled payment
(see migrations/0002_ledger_guards.py), so no forgotten code path can rewrite history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.fields import AmountField
from paydesk.money import format_money
from paydesk.text import single_line

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STATUSES = (PaymentStatus.COMPLETED, PaymentStatus.CANCELLED)
# Payments Finance must decide on: flagged and still pending. Completing or cancelling clears the
# flag; a final payment flagged before that (its row is frozen) is waiting for nobody.
NEEDS_ATTENTION = Q(needs_attention=True, status=PaymentStatus.PENDING)


class PaymentRelation(models.TextChoices):
    """How a payment follows from an earlier one (`Payment.original`); empty for a payment that
    stands alone. A final payment is never edited: what a gateway says about it later becomes
    a new row linked to it."""

    NONE = "", _("—")
    LATE_PAYMENT = "late_payment", _("Late payment")
    REFUND = "refund", _("Refund")
    CHARGEBACK = "chargeback", _("Chargeback")
    CHARGEBACK_REVERSED = "chargeback_reversed", _("Chargeback reversed")
    # A voucher bonus taken back because the top-up that earned it was refunded or charged back
    # (original: the bonus payment), and given back when that chargeback is reversed.
    BONUS_REVERSED = "bonus_reversed", _("Voucher bonus reversed")
    BONUS_RESTORED = "bonus_restored", _("Voucher bonus restored")


# Relations whose row takes money back from the customer (negative), and those that give (positive).
MONEY_BACK = (PaymentRelation.REFUND, PaymentRelation.CHARGEBACK, PaymentRelation.BONUS_REVERSED)
MONEY_IN = (
    PaymentRelation.LATE_PAYMENT,
    PaymentRelation.CHARGEBACK_REVERSED,
    PaymentRelation.BONUS_RESTORED,
)
# How a linked row names the payment it follows: "Refund of PD-…", "Chargeback reversed for PD-…".
RELATION_LEADS: dict[str, StrOrPromise] = {
    PaymentRelation.LATE_PAYMENT: _("Late payment for"),
    PaymentRelation.REFUND: _("Refund of"),
    PaymentRelation.CHARGEBACK: _("Chargeback of"),
    PaymentRelation.CHARGEBACK_REVERSED: _("Chargeback reversed for"),
    PaymentRelation.BONUS_REVERSED: _("Takes back the bonus"),
    PaymentRelation.BONUS_RESTORED: _("Gives back the bonus"),
}

# A staff entry's method as the customer reads it: not how it was entered ("Manual entry", the
# back office's word) but what it did to their account.
ACCOUNT_CHARGE, ACCOUNT_CREDIT = _("Account charge"), _("Account credit")


def customer_method_label(method: str, *, debit: bool) -> str:
    """A payment's method in the customer's words: `manual` reads "Account charge" for a debit
    (a purchase the provider posted, "Voice termination") and "Account credit" otherwise; any
    other method its own label ("PayPal", "Credit Card")."""
    if method == PaymentMethod.MANUAL:
        return str(ACCOUNT_CHARGE if debit else ACCOUNT_CREDIT)
    return str(PaymentMethod(method).label) if method in PaymentMethod.values else method


class Payment(models.Model):
    """A top-up (positive total) or a purchase (negative total) on one customer's account."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    total = AmountField(help_text=_("Signed, in the account currency."))
    status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    description = models.CharField(
        max_length=500, help_text=_("What the customer sees."), validators=[single_line]
    )
    staff_comment = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Private: never shown or exported to the customer."),
        validators=[single_line],
    )
    fee = AmountField(null=True, blank=True, help_text=_("Gateway fee, for reference only."))
    gateway = models.CharField(max_length=20, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    # The gateway's id of the money movement that settled this payment (a Razorpay payment, a
    # PayPal capture, a Paystack transaction, a NOWPayments payment, a Stripe PaymentIntent):
    # unique per gateway, so one transaction never credits two payments.
    gateway_transaction = models.CharField(max_length=100, blank=True, default="", db_default="")
    # The earlier payment this one follows from (a late payment for a cancelled one), and how.
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    relation = models.CharField(
        max_length=20, choices=PaymentRelation.choices, blank=True, default="", db_default=""
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # When the row sits in the customer's statement: completed_at, else created_at.
    occurred_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Split at `#` like the description: the reason the customer sees, and staff's note.
    cancel_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Why it was cancelled: what the customer sees."),
        validators=[single_line],
    )
    cancel_note = models.CharField(
        max_length=500,
        blank=True,
        default="",
        db_default="",
        help_text=_("Private: the cancel reason's part after #, never shown to the customer."),
        validators=[single_line],
    )
    balance_after = AmountField(null=True, blank=True)
    # What was paid, when it differs from what is credited (spec §3). The locked quote behind a
    # Make Payment payment points here (paydesk.checkout.models.Quote.payment), not the reverse.
    paid_amount = AmountField(
        null=True, blank=True, help_text=_("Amount charged, surcharge included.")
    )
    paid_currency = models.CharField(max_length=3, null=True, blank=True)
    fx_rate = models.CharField(
        max_length=40, null=True, blank=True, help_text=_("Exact rate paid → account currency.")
    )
    surcharge = AmountField(null=True, blank=True, help_text=_("In the paid currency."))
    # Why a payment is still pending (a gateway that did not answer, a partial crypto payment),
    # shown to the customer and to staff; `needs_attention` puts it on Finance's list (spec §5).
    pending_reason = models.CharField(max_length=300, blank=True, default="", db_default="")
    needs_attention = models.BooleanField(default=False, db_default=False)
    # What a gateway reported received for a payment it said was only partly paid (NOWPayments'
    # `partially_paid`: `actually_paid` in `pay_currency`), exactly as it reported it: staff
    # complete such a payment only with the amount they enter (credits.staff_payment_complete).
    gateway_received_amount = models.CharField(max_length=40, blank=True, default="", db_default="")
    gateway_received_currency = models.CharField(
        max_length=10, blank=True, default="", db_default=""
    )
    # What the pending payment was to credit (account currency), kept when staff completed it
    # with another amount (the amount actually received): documents say "Received X (expected
    # Y)" and never that the expected amount was charged. Null when it credited what it expected.
    expected_total = AmountField(null=True, blank=True)
    # A bank debit the payer authorised and the banks are settling (a SEPA Direct Debit Stripe
    # reports `processing`): set from the gateway's event, never by hand; only the gateway
    # completes or cancels it (methods/in_transit.py).
    awaiting_bank = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "occurred_at", "id"], name="payment_customer_time"),
            models.Index(fields=["customer", "total", "id"], name="payment_customer_total"),
            # The statement's lowest and highest running balance: one index step each.
            models.Index(
                fields=["customer", "status", "balance_after"], name="payment_customer_balance"
            ),
            models.Index(fields=["occurred_at", "id"], name="payment_time"),
            models.Index(
                fields=["customer", "status"],
                name="payment_customer_pending",
                condition=Q(status="pending"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "completed", "cancelled"]),
                name="payment_status_valid",
            ),
            models.CheckConstraint(condition=~Q(total=0), name="payment_total_not_zero"),
            models.CheckConstraint(
                condition=Q(fee__isnull=True) | Q(fee__gte=0), name="payment_fee_gte_0"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status="pending",
                        completed_at__isnull=True,
                        cancelled_at__isnull=True,
                        balance_after__isnull=True,
                    )
                    | Q(
                        status="completed",
                        completed_at__isnull=False,
                        cancelled_at__isnull=True,
                        balance_after__isnull=False,
                    )
                    | Q(
                        status="cancelled",
                        completed_at__isnull=True,
                        cancelled_at__isnull=False,
                        balance_after__isnull=True,
                    )
                ),
                name="payment_status_timestamps",
            ),
            models.UniqueConstraint(
                "gateway",
                "gateway_reference",
                condition=~Q(gateway_reference=""),
                name="payment_unique_gateway_reference",
            ),
            models.UniqueConstraint(
                "gateway",
                "gateway_transaction",
                condition=~Q(gateway_transaction=""),
                name="payment_unique_gateway_transaction",
            ),
            models.CheckConstraint(
                condition=Q(relation="", original__isnull=True)
                | (~Q(relation="") & Q(original__isnull=False)),
                name="payment_relation_has_original",
            ),
            models.CheckConstraint(
                condition=~Q(relation__in=["refund", "chargeback", "bonus_reversed"])
                | Q(total__lt=0),
                name="payment_money_back_negative",
            ),
            models.CheckConstraint(
                condition=~Q(relation__in=["late_payment", "chargeback_reversed", "bonus_restored"])
                | Q(total__gt=0),
                name="payment_money_in_positive",
            ),
            models.UniqueConstraint(
                "customer",
                "idempotency_key",
                condition=Q(idempotency_key__isnull=False),
                name="payment_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        # Money as every page shows it: "PD-… $75.00 USD pending", "PD-… -$10.6978 USD completed".
        return f"{self.reference} {format_money(self.total, self.customer.currency)} {self.status}"

    @property
    def is_purchase(self) -> bool:
        return self.total < 0

    @property
    def customer_method_label(self) -> str:
        """The method as the portal shows it: "Account charge", "PayPal" (customer_method_label)."""
        return customer_method_label(self.method, debit=self.total < 0)

    @property
    def relation_lead(self) -> str:
        """The words before the original's reference: "Refund of", "Late payment for"; empty
        for a payment that stands alone."""
        return str(RELATION_LEADS.get(self.relation, ""))

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def attention_needed(self) -> bool:
        """Finance must decide on it: flagged, and still pending (completing or cancelling
        clears the flag; a final payment flagged before that fix is not waiting for anyone)."""
        return self.needs_attention and self.status == PaymentStatus.PENDING

    @property
    def partly_paid(self) -> bool:
        """Pending, and its gateway reported only part of the money received."""
        return self.status == PaymentStatus.PENDING and bool(self.gateway_received_currency)

    @property
    def received_against_expected(self) -> str:
        """ "$240.00 USD (expected $250.00 USD)" for a payment completed with another amount than
        it expected (status page, receipt); '' otherwise."""
        if self.expected_total is None:
            return ""
        currency = self.customer.currency
        return (
            f"{format_money(self.total, currency)} "
            f"(expected {format_money(self.expected_total, currency)})"
        )

    @property
    def received_short(self) -> bool:
        """Completed with less than it was to credit (staff entered the amount received)."""
        return self.expected_total is not None and self.total < self.expected_total


class RefundLimit(models.Model):
    """How much of a completed top-up its refunds hold (pending and completed), against what it
    credited. The database refuses `held` above `limit`: refunds never exceed the payment, even
    when two people refund it at once (ledger/refunds.py moves `held` by a conditional UPDATE)."""

    payment = models.OneToOneField(
        Payment, primary_key=True, on_delete=models.PROTECT, related_name="refund_limit"
    )
    limit = AmountField(help_text=_("What the payment credited, account currency."))
    held = AmountField(default=0, help_text=_("Refunds pending or completed."))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(held__gte=0) & Q(held__lte=models.F("limit")),
                name="refund_limit_held_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.held} of {self.limit} refunded"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    CLOSED = "closed", _("Closed")


class Dispute(models.Model):
    """A customer's dispute (chargeback) of a payment at its gateway, as the gateway tells it.

    Money moves through payment rows linked to the disputed payment: a `chargeback` when the
    gateway takes the funds, a `chargeback reversed` when it gives them back. This row is what
    Finance follows: status, reason, amount and the evidence deadline."""

    gateway = models.CharField(max_length=20)
    dispute_id = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="disputes")
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    gateway_status = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    amount = AmountField(null=True, blank=True, help_text=_("Disputed, in `currency`."))
    currency = models.CharField(max_length=3, blank=True)
    evidence_due = models.DateTimeField(null=True, blank=True)
    chargeback = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint("gateway", "dispute_id", name="dispute_unique_per_gateway"),
        ]
        indexes = [models.Index(fields=["status", "evidence_due"], name="dispute_open_due")]

    def __str__(self) -> str:
        # The page's title: the id the gateway's dashboard shows (self.gateway is a payment
        # method, "card" for Stripe; the back office names the gateway beside it).
        return f"Dispute {self.dispute_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == DisputeStatus.OPEN
