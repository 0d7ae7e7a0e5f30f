"""Paydesk's own second-factor rows: authenticator apps (a django-otp TOTP device whose secret is
stored encrypted), a set of one-time recovery codes (a django-otp device whose codes are stored
only as salted digests, each spent once) and the per-user lock after wrong answers.

Passkeys are django-otp-webauthn's WebAuthnCredential. Nothing here stores a code or a secret
in clear.
"""

from __future__ import annotations

from binascii import unhexlify

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from paydesk.crypto import secret_decrypt, secret_encrypt
from paydesk.twofactor.recovery import recovery_code_digest, recovery_salt_new

# Every Fernet token starts so (version byte 0x80, then a timestamp's high bytes, base64): a
# hex or base32 secret never does, so the database itself refuses a secret in clear.
FERNET_TOKEN_START = "gAAAAA"


class AuthenticatorDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (TOTP, RFC 6238): django-otp's TOTPDevice with its secret encrypted
    at rest under PAYDESK_SECRETS_KEYS (paydesk/crypto.py; `paydesk rotate-secrets-key`
    re-encrypts it with the gateway credentials).

    The code is checked by django-otp's own TOTPDevice.verify_token (django_otp.oath.TOTP,
    `last_t` so a code is never accepted twice, drift, throttling), which reads the secret
    through `bin_key`: decrypted only in memory, when a code is checked."""

    # Annotated: its base, django_otp's Device, has no types for the plugin to start from.
    key_encrypted: models.TextField[str, str] = models.TextField(editable=False)  # Fernet token
    # As django-otp's TOTPDevice: the time step, its start, the code's digits, the steps either
    # side accepted, the phone's known drift, and the step of the last code accepted.
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=30)
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=6)
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=1
    )
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(default=0)
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "authenticator app"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(key_encrypted__startswith=FERNET_TOKEN_START),
                name="authenticator_key_encrypted",
            )
        ]

    @property
    def key(self) -> str:
        """The secret as hex, decrypted (never a column: only `key_encrypted` is stored)."""
        return secret_decrypt(self.key_encrypted)

    @key.setter
    def key(self, key_hex: str) -> None:
        unhexlify(key_hex)  # hex, as django-otp's keys are (binascii.Error otherwise)
        self.key_encrypted = secret_encrypt(key_hex)

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key)

    # django-otp's TOTP device does the checking and the otpauth:// URI; only the secret's
    # storage differs, so its methods are used as they are rather than written again.
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings


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


class FirstFactorSetup(models.Model):
    """When an Administrator last reset a user's second factors (or allowed set-up again): staff
    who must use a second factor and have none may set up the first one with their password
    alone for PAYDESK_2FA_SETUP_HOURS after this, or after their account was made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"first-factor set-up of user {self.user_id}"
