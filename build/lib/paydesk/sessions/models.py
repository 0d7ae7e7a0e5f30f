"""Each signed-in session of a user, for the "Your sessions" page: device, address, sign-in time
and last activity, keyed by the Django session key (the session itself stays in Django's own
session store; this row only describes it).

A row is written when someone signs in and removed when that session ends (sign-out, signed out
from another session, password change, expiry); the list shows only rows whose session is still
valid in the store (paydesk.sessions.services.user_sessions), so a row left behind by a session
that died elsewhere is never shown as active. Nothing here decides who is signed in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class UserSession(models.Model):
    """One signed-in session of one user (staff or portal)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    # The same key Django's session store already holds (never shown on a page or in a form).
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    signed_in_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "last_activity_at"], name="usersession_user")]

    def __str__(self) -> str:
        return f"Session of {self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"
