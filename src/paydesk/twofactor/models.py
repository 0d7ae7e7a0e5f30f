"""Paydesk's own second-factor rows: a set of one-time recovery codes (a django-otp device whose
codes are stored only as salted digests, each spent once) and the per-user lock after wrong
answers.

Authenticator apps are django-otp's TOTPDevice; passkeys are django-otp-webauthn's
WebAuthnCredential. Nothing here stores a code in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, TimestampMixin

from paydesk.twofactor.recovery import recovery_code_digest, recovery_salt_new


class RecoveryCodeDevice(TimestampMixin, Device):
    """A user's current set of recovery codes; a new set replaces the old one."""

    # Annotated: its base, django_otp's Device, has no types for the plugin to start from.
    salt: models.CharField[str, str] = models.CharField(
        max_length=32, default=recovery_salt_new, editable=False
    )

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def verify_token(self, token: str) -> bool:
        """Spend `token` if it is one of this set's unused codes. A conditional UPDATE, so two
        requests racing with one code cannot both succeed."""
        digest = recovery_code_digest(self.salt, token)
        if digest is None:
            return False
        spent = self.codes.filter(code_hash=digest, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if spent:
            self.set_last_used_timestamp(commit=True)
        return bool(spent)

    @property
    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    """One code of a set: its salted SHA-256 digest, and when it was spent."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


class SecondFactorLock(models.Model):
    """Wrong second-factor answers in a row for one user, and until when they are refused.

    One count for every factor (authenticator codes, recovery codes, passkeys), so switching
    factors gains an attacker nothing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"second-factor lock of user {self.user_id}"
