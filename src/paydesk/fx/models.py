"""ExchangeRate: how many units of one currency one unit of another buys on a day, and who said so.

Rows are written only by paydesk.fx.services (Finance's edits are audited there). A rate is
exact (see fields.RateField) and the database refuses one that is not positive.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from paydesk.fx.fields import RateField
from paydesk.text import single_line

ECB_SOURCE = "ECB"


class ExchangeRate(models.Model):
    """1 `base_currency` = `rate` `quote_currency` on `rate_date`, according to `source`."""

    base_currency = models.CharField(max_length=3)
    quote_currency = models.CharField(max_length=3)
    rate = RateField(help_text="Units of the quote currency for one unit of the base currency.")
    rate_date = models.DateField(help_text="The day the rate is for.")
    source = models.CharField(
        max_length=80, help_text='"ECB", or "manual: <who>".', validators=[single_line]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for imported rates.",
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-rate_date", "base_currency", "quote_currency", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["base_currency", "quote_currency", "rate_date", "source"],
                name="fx_rate_unique",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(
                condition=~Q(base_currency=F("quote_currency")), name="fx_rate_two_currencies"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"1 {self.base_currency} = {self.rate} {self.quote_currency} "
            f"on {self.rate_date:%Y-%m-%d} ({self.source})"
        )
