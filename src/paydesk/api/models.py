"""API keys (stored as a SHA-256 of the key, never in clear) and idempotency records (the first
answer to a POST, kept to replay it). Nothing here moves money."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from paydesk.text import single_line


class ApiScope(models.TextChoices):
    READ = "read", "Read"
    PAY = "pay", "Pay"


class ApiKey(models.Model):
    """A key `pd_<prefix>_<secret>`: shown once at creation; only `prefix` and the hash stay."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, validators=[single_line])
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (pd_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one caller (`Caller.identity`: `customer:<id>` for any key or
    user of a customer, `user:<id>` for staff): the request's fingerprint, the user who sent
    it and, once answered, the response to replay. A row with `completed_at` null is in
    flight."""

    caller = models.CharField(max_length=40)
    # The user whose request it is (any of their keys, or their session): only they get its
    # answer replayed (another user of the customer may not be allowed to see it). A number,
    # not a foreign key: nothing to check or index on the API's busiest insert.
    requested_by = models.BigIntegerField(null=True, blank=True)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=400)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
