"""Make Payment's tables: each method's configuration, the quotes customers lock when they
press Pay, and the payment log of every gateway event received.

Written only by paydesk.checkout.services (and the back office's audited saves of MethodConfig).
No secret is ever stored here: gateways read theirs from the environment.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.fields import AmountField
from paydesk.ledger.models import Payment
from paydesk.text import single_line


class GatewayMode(models.TextChoices):
    TEST = "test", _("Test")
    LIVE = "live", _("Live")


class MethodConfig(models.Model):
    """How one Pay via method is offered: on/off, currencies, surcharge and limits (spec §5).

    `surcharge_fixed`, `minimum_amount` and `maximum_amount` are in `amounts_currency` and are
    converted to the currency paid at the day's rate; `surcharge_percent` is a percentage of the
    amount paid (2.5 = 2.5 %). An empty `currencies` list accepts every currency.
    """

    method = models.CharField(
        max_length=20,
        unique=True,
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.MANUAL],
    )
    display_name = models.CharField(max_length=60, validators=[single_line])
    enabled = models.BooleanField(default=False)
    mode = models.CharField(max_length=4, choices=GatewayMode.choices, default=GatewayMode.TEST)
    currencies = models.JSONField(
        default=list, blank=True, help_text=_("ISO 4217 codes accepted; empty = any.")
    )
    amounts_currency = models.CharField(
        max_length=3,
        default="USD",
        help_text=_("Currency of the fixed surcharge, minimum and maximum."),
    )
    surcharge_fixed = AmountField(default=Decimal(0))
    surcharge_percent = AmountField(default=Decimal(0), help_text=_("2.5 = 2.5 % of the amount."))
    minimum_amount = AmountField(null=True, blank=True)
    maximum_amount = AmountField(null=True, blank=True)
    deduct_gateway_fee = models.BooleanField(
        default=False, help_text=_("Credit the amount less the fee the gateway reports.")
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "payment method"
        constraints = [
            models.CheckConstraint(
                condition=Q(surcharge_fixed__gte=0), name="method_surcharge_fixed_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(surcharge_percent__gte=0, surcharge_percent__lte=100),
                name="method_surcharge_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(minimum_amount__isnull=True) | Q(minimum_amount__gt=0),
                name="method_minimum_gt_0",
            ),
            models.CheckConstraint(
                condition=Q(maximum_amount__isnull=True) | Q(maximum_amount__gt=0),
                name="method_maximum_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class Quote(models.Model):
    """What one Make Payment will charge and credit, locked when the customer pressed Pay.

    The credit is honoured whatever the rate does afterwards. One quote leads to at most one
    payment (`payment` is unique); the form's one-time token makes (customer, key) unique, so a
    resubmitted form finds its quote and its payment instead of making new ones.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="quotes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    idempotency_key = models.CharField(max_length=100)
    amount = AmountField(help_text=_("What the customer pays for, in `currency`."))
    currency = models.CharField(max_length=3)
    surcharge = AmountField(default=Decimal(0))
    total_charged = AmountField(help_text=_("Amount + surcharge, in `currency`."))
    credit = AmountField(help_text=_("Credited to the account, in `account_currency`."))
    account_currency = models.CharField(max_length=3)
    fx_rate = models.CharField(max_length=40, help_text=_("Exact: 1 currency = rate account."))
    rate_date = models.DateField()
    rate_source = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)
    locked_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="quote"
    )
    # Where the gateway asked to send the customer: a resubmitted form goes there again.
    gateway_url = models.URLField(max_length=2000, blank=True, default="")
    # The online method was in test mode (its test credentials) when the quote was locked: the
    # payment's row shows a Test mode badge (docs/provider-settings.md).
    test_mode = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "customer", "idempotency_key", name="quote_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="quote_amount_gt_0"),
            models.CheckConstraint(condition=Q(credit__gt=0), name="quote_credit_gt_0"),
            models.CheckConstraint(condition=Q(surcharge__gte=0), name="quote_surcharge_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Quote {self.pk}: {self.total_charged} {self.currency} → {self.credit}"

    @property
    def open_at_gateway(self) -> bool:
        """The gateway's page for this checkout still takes the payment: the gateway gave one
        and the quote holds (its expiry bounds the gateway's session: CheckoutRequest's)."""
        return bool(self.gateway_url) and self.expires_at > timezone.now()


class EventResult(models.TextChoices):
    APPLIED = "applied", _("Applied")
    IGNORED = "ignored", _("Ignored")  # the payment was already final, or is still pending
    REFUSED = "refused", _("Refused")
    SENT = "sent", _("Sent")  # a request Paydesk made, answered
    FAILED = "failed", _("Failed")  # a request Paydesk made, with no usable answer


class LogDirection(models.TextChoices):
    RECEIVED = "received", _("Received")
    SENT = "sent", _("Sent")


class LogChannel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    RETURN = "return", _("Return")
    CHECKOUT = "checkout", _("Checkout")
    RECONCILE = "reconcile", _("Reconcile")
    API = "api", _("API call")


class PaymentLogEntry(models.Model):
    """The payment log (spec §8): every gateway event received, once, with what Paydesk did, and
    every request Paydesk made to a gateway (`direction` sent) with its answer's status.

    Unique per (gateway, event id) among received events with a valid signature: a replayed
    notification cannot be recorded, or applied, twice. `summary` holds redacted fields, never
    a secret, a header or card data.
    """

    gateway = models.CharField(max_length=20)
    direction = models.CharField(
        max_length=10, choices=LogDirection.choices, default=LogDirection.RECEIVED
    )
    channel = models.CharField(
        max_length=10, choices=LogChannel.choices, default=LogChannel.WEBHOOK
    )
    event_id = models.CharField(
        max_length=200, help_text=_("The gateway's event id, or the request's method and path.")
    )
    received_at = models.DateTimeField(default=timezone.now)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="log_entries"
    )
    signature_valid = models.BooleanField(null=True, help_text=_("Empty for requests we sent."))
    http_status = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, help_text=_("What the gateway said."))
    result = models.CharField(max_length=10, choices=EventResult.choices)
    detail = models.CharField(max_length=500, blank=True, help_text=_("Why, in one line."))
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "payment log entry"
        verbose_name_plural = "payment log entries"
        constraints = [
            # A forged event (bad signature) is logged but must not take the id of a real one.
            models.UniqueConstraint(
                "gateway",
                "event_id",
                condition=Q(signature_valid=True, direction="received"),
                name="payment_log_unique_event",
            ),
        ]
        indexes = [
            models.Index(fields=["received_at", "id"], name="payment_log_time"),
            models.Index(fields=["payment", "received_at"], name="payment_log_payment"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id}: {self.result}"


class RefundQuestion(models.Model):
    """When reconciliation next asks a gateway about a pending refund it answered "still
    pending" (or, past the refund's idempotency window, could not say whether it made it):
    at growing intervals, so a refund left pending for days (Paystack's `needs-attention`) is
    not asked about on every run (checkout/refunds.py, docs/refunds.md). Written only by
    checkout.refunds; one row per refund, never about money."""

    refund = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund_question")
    asked = models.PositiveIntegerField(default=0, help_text=_("Answers that left it pending."))
    asked_at = models.DateTimeField()
    next_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"refund {self.refund_id}: next asked at {self.next_at:%Y-%m-%d %H:%M}"
