"""AuditEntry: who did what, when, to which object, with the state before and after.

Append-only: the database refuses to update an entry (and, on PostgreSQL, to delete one).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        # In the active time zone (a staff member's, in the back office), as its page's "At".
        at = timezone.localtime(self.at) if timezone.is_aware(self.at) else self.at
        return f"{at:%Y-%m-%d %H:%M:%S} {self.actor_email or 'system'} {self.action}"
