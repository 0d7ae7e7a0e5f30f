"""Automatic top-up (a customer's settings and each top-up Paydesk queued or charged) and
low-balance alerts (each threshold and whether it is armed). Money through the ledger only: a
top-up's money is its `payment`, made by checkout/offsession.py."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from paydesk.fields import AmountField

IN_FLIGHT = ("queued", "charging")


class TopupSettings(models.Model):
    """One customer's automatic top-up: off until a user with *manage billing* turns it on and
    consents; staff may switch it off. `alerts_customised` says the customer chose their own
    low-balance thresholds (the provider's default is then never added back)."""

    customer = models.OneToOneField(
        "accounts.Customer", on_delete=models.PROTECT, related_name="topup_settings"
    )
    enabled = models.BooleanField(default=False)
    threshold = AmountField(
        default=Decimal(0), help_text=_("Top up when the balance falls below this.")
    )
    amount = AmountField(default=Decimal(0), help_text=_("What each automatic top-up credits."))
    monthly_cap = AmountField(
        default=Decimal(0), help_text=_("At most this much in a calendar month.")
    )
    cooldown_minutes = models.PositiveIntegerField(default=60)
    payment_method = models.CharField(max_length=120, blank=True)  # Stripe's pm_…
    method_label = models.CharField(max_length=120, blank=True)  # "Card •••• 4242"
    consent_text = models.TextField(blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=300, blank=True)
    alerts_customised = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("automatic top-up")
        constraints = [
            models.CheckConstraint(
                condition=Q(enabled=False)
                | (
                    Q(amount__gt=0)
                    & Q(monthly_cap__gte=models.F("amount"))
                    & ~Q(payment_method="")
                    & Q(consented_at__isnull=False)
                ),
                name="autotopup_enabled_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Automatic top-up of {self.customer}"

    @property
    def is_active(self) -> bool:
        return self.enabled and self.suspended_at is None


class TopupStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    CHARGING = "charging", _("Charging")
    SUCCEEDED = "succeeded", _("Credited")
    FAILED = "failed", _("Failed")
    ACTION_REQUIRED = "action_required", _("Needs the customer's authentication")
    SKIPPED = "skipped", _("Skipped")


# The labels above are the back office's, about the customer. The customer reads their own
# top-ups in the second person, with what to do when one waits for them (the portal's page words
# the bank's reason this way instead of showing it); the others read alike.
CUSTOMER_STATUS_LABELS = {
    TopupStatus.ACTION_REQUIRED: _(
        "Needs your authentication: your bank asked you to confirm this top-up, so nothing "
        "was charged. Pay it now and confirm it with your bank."
    ),
}


class TopupTrigger(models.TextChoices):
    POSTING = "posting", _("A payment took the balance under the threshold")
    SWEEP = "sweep", _("The periodic sweep found the balance under the threshold")


class Topup(models.Model):
    """One automatic top-up: queued by the posting that took the balance under the threshold
    (or by the sweep), then charged by the worker. Its id is the charge's idempotency key, so a
    retried job never charges twice. At most one queued or charging per customer (database)."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="topups"
    )
    status = models.CharField(
        max_length=20, choices=TopupStatus.choices, default=TopupStatus.QUEUED
    )
    trigger = models.CharField(max_length=10, choices=TopupTrigger.choices)
    balance_at_trigger = AmountField()
    threshold = AmountField()
    amount = AmountField()
    payment_method = models.CharField(max_length=120)
    payment = models.OneToOneField(
        "ledger.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="topup"
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("automatic top-up attempt")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=IN_FLIGHT),
                name="autotopup_one_in_flight",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TopupStatus.values), name="autotopup_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="autotopup_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"Automatic top-up {self.pk} ({self.status})"

    def customer_status_display(self) -> str:
        """The status as the customer reads it on their own page (staff read TopupStatus's)."""
        return str(CUSTOMER_STATUS_LABELS.get(TopupStatus(self.status), self.get_status_display()))

    @property
    def key(self) -> str:
        """The charge's idempotency key: the quote's, the payment's and Stripe's."""
        return f"autotopup-charge-{self.pk}"


class BalanceAlert(models.Model):
    """A low-balance threshold on the available credit (balance + debit limit: a prepaid
    customer's balance; a postpaid one's room before the debit limit). One email per crossing:
    `armed` turns off when it fires and on again only once the available credit climbs back to
    the threshold plus the margin."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.CASCADE, related_name="balance_alerts"
    )
    threshold = AmountField()
    margin = AmountField(default=Decimal(0))
    armed = models.BooleanField(default=True)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-threshold"]
        constraints = [
            models.UniqueConstraint("customer", "threshold", name="balancealert_unique"),
            models.CheckConstraint(condition=Q(margin__gte=0), name="balancealert_margin_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Alert under {self.threshold} for {self.customer}"
