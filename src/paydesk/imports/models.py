"""Where each imported payment came from: the file format and the row's origin key (the source
system's own id, or a digest of the row). Unique per customer, format and key, so importing the
same file twice adds nothing, even when two imports of it run at once (docs/import.md).

The payment itself is written only by the ledger (paydesk.ledger.imports).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import Customer
from paydesk.ledger.models import Payment


class ImportFormat(models.TextChoices):
    CONNEXCS = "connexcs", _("ConnexCS customer portal CSV")
    WHMCS = "whmcs", _("WHMCS transactions CSV")
    PAYDESK = "paydesk", _("Paydesk payments CSV")


class ImportedPayment(models.Model):
    """One payment brought in from another system, and the row it came from."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=ImportFormat.choices)
    origin_key = models.CharField(
        max_length=120, help_text=_("The source's id of the row, or a digest of it.")
    )
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="imported")
    line = models.PositiveIntegerField(help_text=_("Line of the file it was read from."))
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "customer", "source", "origin_key", name="imported_payment_unique_origin"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.origin_key} → {self.payment_id}"
