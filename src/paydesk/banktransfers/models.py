"""Bank transfers (spec §6): the provider's bank details, customers' proofs of payment, and
Finance's approvals of received transfers.

A bank transfer itself is a ledger Payment (method and gateway "bank_transfer", status pending
until Finance completes it); nothing here changes a payment or a balance: see services.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.bankaccounts import account_number_label
from paydesk.fields import AmountField
from paydesk.fx.fields import RateField
from paydesk.ledger.models import Payment
from paydesk.text import multi_line, single_line

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class BankDetails(models.Model):
    """The provider's "Payment details" shown with every pending transfer; one row."""

    beneficiary_name = models.CharField(max_length=200, validators=[single_line])
    account_number = models.CharField(
        _("account number / IBAN"), max_length=64, validators=[single_line]
    )
    bank_name = models.CharField(max_length=200, validators=[single_line])
    bank_address = models.TextField(max_length=500, blank=True, validators=[multi_line])
    swift = models.CharField(_("SWIFT / BIC"), max_length=11, validators=[single_line])
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "payment details"
        verbose_name_plural = "payment details"

    def __str__(self) -> str:
        return "Payment details"

    @property
    def account_label(self) -> StrOrPromise:
        """How pages label `account_number`: "IBAN" when it is one, else "Account number"."""
        return account_number_label(self.account_number)


class BankTransfer(Payment):
    """Pending and past bank transfers as the back office lists them (the same ledger rows)."""

    class Meta:
        proxy = True
        verbose_name = "bank transfer"
        verbose_name_plural = "bank transfers"


class ProofKind(models.TextChoices):
    PDF = "pdf", "PDF"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"


class TransferProof(models.Model):
    """A file a customer attached as proof of payment; the bytes live outside any web root."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="proofs")
    kind = models.CharField(max_length=4, choices=ProofKind.choices)
    # A random name under MEDIA_ROOT/proofs/; never derived from what the customer sent.
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"Proof {self.pk} for {self.payment.reference}"


class TransferApproval(models.Model):
    """One Finance user's approval of a received transfer: what arrived and what it credits."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expected = AmountField(
        null=True,
        blank=True,
        help_text=_(
            "The transfer's pending amount when it was approved (account currency): completing "
            "it for another amount changes the payment's total, never this."
        ),
    )
    received_amount = AmountField()
    received_currency = models.CharField(max_length=3)
    credit = AmountField(help_text=_("The received amount in the account currency."))
    rate = RateField(help_text=_("1 received currency = rate account currency."))
    rate_date = models.DateField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                "payment", "approver", name="transfer_approval_one_per_approver"
            ),
            models.CheckConstraint(
                condition=Q(received_amount__gt=0) & Q(credit__gt=0),
                name="transfer_approval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Approval of {self.payment.reference} by {self.approver}"
