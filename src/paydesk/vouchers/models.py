"""Vouchers (spec §7): batches issued by staff, the vouchers in them, and armed bonus vouchers.

A voucher's code is never stored: only its keyed hash (`code_hash`, see vouchers/codes.py) and a
short, non-secret `hint` (the code's last four characters) by which staff recognise it. Nothing
here moves money or changes a status: paydesk.vouchers.services (redeem) and .batches (issue,
disable) do, the money through the ledger.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import Customer
from paydesk.fields import AmountField
from paydesk.ledger.models import Payment
from paydesk.text import single_line


class VoucherStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    USED = "used", _("Used")
    DISABLED = "disabled", _("Disabled")


class BatchApproval(models.TextChoices):
    """Four eyes on a batch (vouchers/batches.py): its codes redeem only when not needed or
    approved."""

    NOT_NEEDED = "not_needed", _("Not needed")
    WAITING = "waiting", _("Waiting for a second approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# The approvals under which a batch's codes redeem (the redemption's claim reads them).
REDEEMABLE_APPROVALS = (BatchApproval.NOT_NEEDED, BatchApproval.APPROVED)


class VoucherBatch(models.Model):
    """One issue of vouchers with the same terms: currency, M, X, A and expiry."""

    currency = models.CharField(max_length=3)
    minimum_activation = AmountField(
        default=Decimal(0),
        help_text=_(
            "Minimum top-up the customer pays: 0 = free credit; above 0 = a bonus on the next "
            "top-up of at least this amount."
        ),
    )
    # X is exact: an AmountField keeps it as an integer of ten-thousandths (1.1 → 11000).
    multiplier = AmountField(
        default=Decimal(1),
        help_text=_("Top-up multiplier: 2 gives a bonus of the whole top-up again."),
    )
    addition = AmountField(
        default=Decimal(0),
        help_text=_("Free credit per code, or a fixed amount added to a bonus."),
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True, validators=[single_line])
    created_at = models.DateTimeField(default=timezone.now)
    # Null when the system issued the batch (the `paydesk vouchers issue` command).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # db_default: an app server still running the code before this column (a rolling
    # deployment) inserts batches without it; they need no second approval, as before.
    approval = models.CharField(
        max_length=12,
        choices=BatchApproval.choices,
        default=BatchApproval.NOT_NEEDED,
        db_default=BatchApproval.NOT_NEEDED,
    )
    # Who approved or rejected a batch that waited for a second Finance user, and when.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "voucher batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_activation__gte=0), name="voucherbatch_minimum_activation_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gte=0), name="voucherbatch_multiplier_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(addition__gte=0), name="voucherbatch_addition_gte_0"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="voucherbatch_count_gt_0"),
            models.CheckConstraint(
                condition=Q(approval__in=BatchApproval.values), name="voucherbatch_approval_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.pk}: {self.count} × {self.currency}"

    @property
    def is_bonus(self) -> bool:
        """True for a bonus batch (M > 0): redeeming arms it for the next top-up."""
        return self.minimum_activation > 0

    @property
    def worst_case_credit(self) -> Decimal | None:
        """The most credit its codes can give for nothing: count × A; None (no bound) for a
        bonus with X > 1, whose bonus grows with the top-up it comes with."""
        if self.is_bonus and self.multiplier > 1:
            return None
        return self.count * self.addition


class Voucher(models.Model):
    """One voucher. Redeeming it is one conditional UPDATE from Available to Used."""

    batch = models.ForeignKey(VoucherBatch, on_delete=models.PROTECT, related_name="vouchers")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=8, help_text=_("Last characters of the code; not secret."))
    status = models.CharField(
        max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.AVAILABLE
    )
    # Copied from the batch, so that redemption's conditional UPDATE reads one table only.
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers_used"
    )
    redemption_payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["batch_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["available", "used", "disabled"]),
                name="voucher_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="available", used_at__isnull=True, used_by__isnull=True)
                    | Q(status="used", used_at__isnull=False, used_by__isnull=False)
                    | Q(status="disabled", used_at__isnull=True, disabled_at__isnull=False)
                ),
                name="voucher_status_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"Voucher …{self.hint} ({self.status})"

    @property
    def is_expired(self) -> bool:
        """Past its expiry and never used: still Available in the table, but unredeemable."""
        return (
            self.status == VoucherStatus.AVAILABLE
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def masked_code(self) -> str:
        """What statements and staff show: `…6TRK` (never `#`: it starts a staff comment)."""
        return f"…{self.hint}"


class VoucherActivation(models.Model):
    """A bonus voucher armed on a customer's account, waiting for a top-up of at least M."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="voucher_activations"
    )
    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="activation")
    armed_at = models.DateTimeField(default=timezone.now)
    applied_payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher_activation"
    )
    bonus_payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["armed_at", "id"]
        indexes = [
            models.Index(
                fields=["customer", "armed_at", "id"],
                name="voucheractivation_armed",
                condition=Q(applied_payment__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(applied_payment__isnull=True, bonus_payment__isnull=True)
                | Q(applied_payment__isnull=False, bonus_payment__isnull=False),
                name="voucheractivation_applied_with_bonus",
            ),
        ]

    def __str__(self) -> str:
        state = "armed" if self.applied_payment_id is None else "applied"
        return f"Activation of voucher …{self.voucher.hint} ({state})"

    @property
    def is_armed(self) -> bool:
        return self.applied_payment_id is None
