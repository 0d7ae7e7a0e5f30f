"""Authenticator apps move from django-otp's TOTPDevice (secret in clear, hex) to
AuthenticatorDevice (secret encrypted under PAYDESK_SECRETS_KEYS, paydesk/crypto.py): each device
keeps its user, name, settings, last accepted step and dates; the clear rows are deleted.

The phones keep working (the secret is the same). A session verified with an app passes the
second factor once more (its device id named the old table). Backwards, the secrets are
decrypted into TOTPDevice again (the keys must still read them).
"""

from django.db import migrations

from paydesk.crypto import secret_decrypt, secret_encrypt

# Copied as they are between the two tables (every column but the id, the secret and
# created_at, which auto_now_add would overwrite on create: set by an UPDATE after it).
COLUMNS = (
    "user_id",
    "name",
    "confirmed",
    "last_used_at",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
)


def _move(source, target, secret_from, secret_to, convert):
    """Every row of `source` into `target`, its secret converted, then `source` emptied."""
    for device in source.objects.order_by("pk"):
        copy = target.objects.create(
            **{secret_to: convert(getattr(device, secret_from))},
            **{column: getattr(device, column) for column in COLUMNS},
        )
        target.objects.filter(pk=copy.pk).update(created_at=device.created_at)
    source.objects.all().delete()


def encrypt_secrets(apps, schema_editor):
    clear = apps.get_model("otp_totp", "TOTPDevice")
    encrypted = apps.get_model("twofactor", "AuthenticatorDevice")
    _move(clear, encrypted, "key", "key_encrypted", secret_encrypt)


def decrypt_secrets(apps, schema_editor):
    clear = apps.get_model("otp_totp", "TOTPDevice")
    encrypted = apps.get_model("twofactor", "AuthenticatorDevice")
    _move(encrypted, clear, "key_encrypted", "key", secret_decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("twofactor", "0002_authenticatordevice"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
