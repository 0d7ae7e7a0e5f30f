"""Four eyes on manual credits: a completed credit that staff enter above the threshold is held
for a second Finance user. CreditApproval records the hold; the payment itself is an ordinary
pending ledger Payment until another Finance user approves it (completed) or someone in Finance
refuses it (cancelled with the reason). Who decided and when are the payment's own
completed_by / cancelled_by, and the audit log's.

The same row records a request to complete a pending payment (not a manual credit: a card
checkout, a late gateway payment) for more than it expected when that amount is above the
threshold — or when it would take what that person credited by hand over 24 hours above it:
`requested_total` is the amount asked, which a second Finance user confirms. Refusing the request
withdraws it and the payment stays pending; the refusal (what was asked, by whom, who refused,
when, why) is kept as a RefusedCompletionRequest, which the back office shows with the payment,
so that the payment can be asked for again (one open request per payment).

The customer sees a held payment as "awaiting approval by the provider" (its pending_reason);
why it waits, with the amounts and the threshold, is `reason` here, for staff.

Nothing here changes a payment or a balance: see services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.fields import AmountField
from paydesk.ledger.models import Payment


class CreditApproval(models.Model):
    """A manual credit entered as completed above the threshold, or a request to complete a
    pending payment for more than it expected above it, held for a second person."""

    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="credit_approval"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    threshold = AmountField(help_text=_("The threshold in force then, in the account currency."))
    email_confirmation = models.BooleanField(
        default=False, help_text=_("Tell the customer's contacts once it is approved.")
    )
    requested_total = AmountField(
        null=True,
        blank=True,
        help_text=_(
            "A request to complete the payment for more than it expected: the amount asked, in "
            "the account currency. Empty for a manual credit held as entered."
        ),
    )
    # What the payment said while pending before the request, given back when it is refused.
    reason_before = models.CharField(max_length=300, blank=True, default="")
    attention_before = models.BooleanField(default=False)
    reason = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text=_("Why it waits, with the amounts and the threshold: for staff only."),
    )

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"Approval of {self.payment.reference} entered by {self.requested_by}"


class RefusedCompletionRequest(models.Model):
    """A request to complete a pending payment for an amount (a CreditApproval with
    `requested_total`) that someone in Finance refused: kept for the back office and the record;
    the payment stayed pending as it was before the request."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refused_completion_requests"
    )
    requested_total = AmountField(help_text=_("The amount asked, in the account currency."))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    threshold = AmountField(help_text=_("The threshold in force then, in the account currency."))
    reason = models.CharField(max_length=300, blank=True, default="")
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    refused_at = models.DateTimeField(default=timezone.now)
    refusal = models.CharField(max_length=500, help_text=_("Why it was refused."))

    class Meta:
        ordering = ["refused_at", "id"]

    def __str__(self) -> str:
        return f"Refused request to complete {self.payment.reference}"


class CreditAwaitingApproval(Payment):
    """Manual credits held for a second Finance user, as the back office lists them."""

    class Meta:
        proxy = True
        verbose_name = "credit awaiting approval"
        verbose_name_plural = "credits awaiting approval"
