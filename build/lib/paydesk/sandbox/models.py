"""The sandbox's own state: what each pretend gateway holds (orders, intents, invoices), its
switches, and the webhooks it sends. Shared by every server process through the database.

It stores no card number and no CVC: a card-fields payment method keeps the last four digits
and the behaviour the number stands for (quality.md S5 scans this table too).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookMode(models.TextChoices):
    NORMAL = "normal", "Send each webhook once, at once"
    TWICE = "twice", "Send each webhook twice"
    LATE = "late", "Hold webhooks until released (late)"
    OUT_OF_ORDER = "out_of_order", "Hold each webhook until the next one, then send newest first"
    NONE = "none", "Never send webhooks"


class ApiFault(models.TextChoices):
    NONE = "none", "Answer normally"
    TIMEOUT = "timeout", "Answer only after the client's timeout"
    ERROR_500 = "error_500", "Answer HTTP 500"
    GARBAGE = "garbage", "Answer 200 with a body that is not JSON"


class Switches(models.Model):
    """One row (pk=1): how the sandbox misbehaves. `fault_gateway` empty = every gateway.

    The boolean switches turn on a behaviour a gateway documents but the sandbox does not play
    by default; each is off by default, so the sandbox then behaves as it always did. Their
    names and labels are listed in CASE_SWITCHES (the control page shows them from there)."""

    webhook_mode = models.CharField(
        max_length=20, choices=WebhookMode.choices, default=WebhookMode.NORMAL
    )
    api_fault = models.CharField(max_length=20, choices=ApiFault.choices, default=ApiFault.NONE)
    fault_gateway = models.CharField(max_length=20, blank=True, default="")
    razorpay_manual_capture = models.BooleanField(
        default=False,
        help_text="Razorpay auto-capture off: a paid payment stays authorized until captured "
        "through POST /v1/payments/{id}/capture.",
    )
    razorpay_late_authorisation = models.BooleanField(
        default=False,
        help_text="Razorpay checkout offers \"Fail, then authorise late\": a failed payment the "
        "bank authorises later (when \"Late-authorise failed payments\" is pressed).",
    )
    razorpay_payer_notes = models.BooleanField(
        default=False,
        help_text="Razorpay checkout shows the notes the payer's browser passed, editable, as a "
        "payer could change them.",
    )
    nowpayments_repay_after_expiry = models.BooleanField(
        default=False,
        help_text="NOWPayments invoice offers \"Pay again after expiry\": a new payment on an "
        "invoice whose payment expired.",
    )
    paypal_declined_event = models.BooleanField(
        default=False,
        help_text="PayPal: a declined capture sends PAYMENT.CAPTURE.DECLINED (as documented), "
        "not PAYMENT.CAPTURE.DENIED.",
    )
    paystack_customer_fees = models.BooleanField(
        default=False,
        help_text="Paystack: the customer bears the fees (amount = requested_amount + fees).",
    )

    class Meta:
        verbose_name_plural = "switches"

    def __str__(self) -> str:
        return f"webhooks {self.webhook_mode}, API {self.api_fault}"

    @classmethod
    def current(cls) -> Switches:
        switches, _created = cls.objects.get_or_create(pk=1)
        return switches


# The behaviour switches (boolean fields of Switches), in the control page's order.
CASE_SWITCHES = (
    "razorpay_manual_capture",
    "razorpay_late_authorisation",
    "razorpay_payer_notes",
    "nowpayments_repay_after_expiry",
    "paypal_declined_event",
    "paystack_customer_fees",
)


class SandboxObject(models.Model):
    """One object a pretend gateway holds: a Stripe PaymentIntent, a PayPal order, a Razorpay
    order, a Paystack transaction, a NOWPayments invoice or payment. `data` is its JSON as the
    gateway would answer it (amounts as the gateway encodes them: strings or integers)."""

    gateway = models.CharField(max_length=20)
    kind = models.CharField(max_length=30)
    object_id = models.CharField(max_length=100)
    lookup = models.CharField(max_length=200, blank=True, default="", db_index=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "gateway", "kind", "object_id", name="sandbox_object_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.kind} {self.object_id}"


class WebhookStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    HELD = "held", "Held"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DROPPED = "dropped", "Dropped"


class SandboxWebhook(models.Model):
    """A signed notification the sandbox sends (or holds) to Paydesk's /webhooks/<gateway>/."""

    gateway = models.CharField(max_length=20)
    about = models.CharField(max_length=100, help_text="The gateway object it is about.")
    event_type = models.CharField(max_length=60)
    body = models.TextField()
    headers = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_response = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="Last delivery.")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} ({self.status})"
