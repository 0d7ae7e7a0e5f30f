"""Outgoing webhooks (docs/outgoing-webhooks.md): the provider's endpoints, the events Paydesk
writes in the same transaction as each money change (an outbox, like the emails'), one delivery
per event and endpoint, and a log row per attempt.

An endpoint's signing secret is stored encrypted (Fernet, paydesk.outhooks.crypto): the worker
must sign with it, so it cannot be a one-way hash; staff see only its last four characters.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.text import single_line


class EventType(models.TextChoices):
    PAYMENT_CREATED = "payment.created", _("A payment was recorded, pending")
    PAYMENT_COMPLETED = "payment.completed", _("A payment completed")
    PAYMENT_CANCELLED = "payment.cancelled", _("A payment was cancelled")
    REFUND_CREATED = "refund.created", _("A refund was started, pending")
    REFUND_COMPLETED = "refund.completed", _("A refund completed")
    REFUND_CANCELLED = "refund.cancelled", _("A refund was declined or cancelled")
    CHARGEBACK_CREATED = "chargeback.created", _("A chargeback took money back")
    CHARGEBACK_REVERSED = "chargeback.reversed", _("A chargeback was reversed")
    VOUCHER_BONUS_REVERSED = (
        "voucher_bonus.reversed",
        _("A voucher bonus was taken back: its top-up was refunded or charged back"),
    )
    VOUCHER_BONUS_RESTORED = (
        "voucher_bonus.restored",
        _("A voucher bonus was given back: its top-up's chargeback was reversed"),
    )
    BALANCE_CHANGED = "balance.changed", _("A customer's balance changed")
    BALANCE_LOW = "balance.low", _("A customer's low-balance alert fired")
    TRANSFER_AWAITING_APPROVAL = (
        "transfer.awaiting_approval",
        _("A bank transfer's first approval is recorded; it awaits a second Finance user"),
    )


class Endpoint(models.Model):
    """A URL of the provider's systems that receives the events it asked for, signed."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, validators=[single_line])
    event_types = models.JSONField(
        default=list, help_text="The event types it receives; empty = every type."
    )
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=8, editable=False)
    active = models.BooleanField(default=True, help_text="Untick to stop sending to it.")
    ordered = models.BooleanField(
        default=False,
        help_text="Deliver each customer's events one at a time, in order: a failing event "
        "holds back that customer's later ones until it is delivered or given up.",
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Not a column: the secret endpoint_update just made (None if it kept the old one), for its
    # caller to show once. Set only on the row endpoint_update returns.
    new_secret: str | None

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class Event(models.Model):
    """One event, written with the money change it tells about; `data` is the JSON of the object
    exactly as sent (the payload is rebuilt byte for byte from it on every delivery)."""

    type = models.CharField(max_length=40, choices=EventType.choices)
    # No index on either: every top-up writes these rows (bench P6), and nothing looks events up
    # by customer or payment but the tests; the API pages them by id.
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    payment = models.ForeignKey(
        "ledger.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    data = models.TextField()
    dispatched = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], name="outhook_event_undispatched", condition=Q(dispatched=False)
            ),
        ]

    def __str__(self) -> str:
        return f"evt_{self.pk} {self.type}"

    @property
    def public_id(self) -> str:
        return f"evt_{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class Delivery(models.Model):
    """One event to one endpoint: pending until the receiver answers 2xx (delivered) or its
    retries run out (given up)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    customer_id = models.BigIntegerField()  # the event's, for the per-customer order
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    give_up_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When its retries ran out (status failed): the purge keeps it, and its event, for
    # PAYDESK_OUTHOOKS_KEEP_DAYS from then, so it can still be resent.
    given_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="outhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "failed"]),
                name="outhook_delivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "event"],
                name="outhook_delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["endpoint", "customer_id", "event"], name="outhook_delivery_order"
            ),
        ]

    def __str__(self) -> str:
        return f"evt_{self.event_id} → {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    """The delivery log: one row per attempt (status code, latency, the response's start)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    ok = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
