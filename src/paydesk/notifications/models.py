"""The email outbox: every message Paydesk sends is first a row here, written in the same
database transaction as the money change it tells about, and sent after that transaction commits.

A row is written with the template and the plain values it is drawn from (`template`,
`context`); the worker renders subject and bodies at the first attempt, stores them on the row and
sends them, so every attempt sends the same message. Rows queued before that (subject and bodies
written by the request, no template) are sent as they are.

A row never holds a secret: `context` holds what the message says and nothing else, and
`last_error` keeps the failure's type and text, scrubbed of the SMTP password. Rows are sent by
paydesk.notifications.services only, never from a model method.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    BANK_TRANSFER_INSTRUCTIONS = "bank_transfer_instructions", _("Bank transfer instructions")
    REFUND_ISSUED = "refund_issued", _("Refund issued")
    DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
    CHARGEBACK = "chargeback", _("Chargeback taken")
    CHARGEBACK_REVERSED = "chargeback_reversed", _("Chargeback reversed")
    AUTOTOPUP = "autotopup", _("Automatic top-up")
    LOW_BALANCE = "low_balance", _("Low balance")
    WEBHOOK_PAUSED = "webhook_paused", _("Webhook endpoint paused")
    PASSWORD_RESET = "password_reset", _("Password reset")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """One message to one recipient; queued → sent, or failed and retried until it gives up.

    A failed row with `next_attempt_at` set is retried by the worker at that time; a failed row
    without one has used up its attempts (PAYDESK_EMAIL_MAX_ATTEMPTS) and is left for staff.
    """

    to = models.EmailField()
    # Empty until the worker renders `template` with `context` (rows written since issue 18).
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # `<template>_subject.txt`, `.txt`, `.html`; empty on rows rendered by the request.
    template = models.CharField(max_length=100, blank=True)
    # The values the message says, as the request knew them (JSON: strings, numbers, lists).
    context = models.JSONField(null=True, blank=True)
    kind = models.CharField(max_length=40, choices=EmailKind.choices)
    payment = models.ForeignKey(
        "ledger.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emails",
    )
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_due",
                condition=~Q(status="sent"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed"]), name="outbox_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="outbox_sent_at_iff_sent",
            ),
            # Something to send: a template the worker renders, or a body already rendered.
            models.CheckConstraint(
                condition=~Q(template="") | ~Q(body_text=""), name="outbox_template_or_body"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.status})"
