"""Authenticator-app secrets are stored encrypted (PAYDESK_SECRETS_KEYS, paydesk/crypto.py): the
database never holds the secret in hex or base32, refuses a row that would, the migration
encrypts the devices made before, and `paydesk rotate-secrets-key` re-encrypts them with the
gateway credentials."""

from __future__ import annotations

import importlib
import logging
import re
from base64 import b32encode
from binascii import unhexlify

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from paydesk.twofactor.models import AuthenticatorDevice
from paydesk.twofactor.services import SecondFactorError, second_factor_verify
from paydesk.twofactor.totp import totp_code, totp_key_from_secret, totp_key_new
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module(
    "paydesk.twofactor.migrations.0003_authenticator_secrets_encrypted"
)


def stored_rows() -> str:
    """Every column of every authenticator row, as the database holds them, in one text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthenticatorDevice._meta.db_table}")
        rows = cursor.fetchall()
    return " ".join(str(value) for row in rows for value in row)


def forms_of(key_hex: str) -> list[str]:
    """The secret as hex and as base32 (what the app was given), either case."""
    base32 = b32encode(unhexlify(key_hex)).decode().rstrip("=")
    return [form for text in (key_hex, base32) for form in (text.lower(), text.upper())]


def test_the_secret_set_up_on_the_page_is_never_in_the_database():
    admin = StaffFactory(staff_role="admin")
    client = Client()
    client.force_login(admin)
    html = client.get("/accounts/two-factor/authenticator/").content.decode()
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    key = totp_key_from_secret(secret)
    client.post("/accounts/two-factor/authenticator/", {"name": "Phone", "code": totp_code(key)})
    device = AuthenticatorDevice.objects.get(user=admin)
    assert device.key == key  # readable by the server, in memory
    stored = stored_rows()
    assert device.key_encrypted in stored
    assert not any(form in stored for form in forms_of(key))
    assert not TOTPDevice.objects.exists()  # django-otp's table (secrets in clear) stays empty


def test_the_database_refuses_a_secret_in_clear():
    device = AuthenticatorDevice.objects.create(
        user=StaffFactory(), name="Phone", key=totp_key_new(), confirmed=True
    )
    for clear in forms_of(totp_key_new()):
        with pytest.raises(IntegrityError), transaction.atomic():
            AuthenticatorDevice.objects.filter(pk=device.pk).update(key_encrypted=clear)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthenticatorDevice.objects.create(user=device.user, name="No secret", confirmed=True)


def test_the_migration_encrypts_the_apps_set_up_before_and_they_keep_working():
    finance = StaffFactory(staff_role="finance")
    key = totp_key_new()
    old = TOTPDevice.objects.create(
        user=finance, name="Old phone", key=key, last_t=5, drift=1, confirmed=True
    )
    TOTPDevice.objects.filter(pk=old.pk).update(created_at="2026-01-02T03:04:05Z")
    MIGRATION.encrypt_secrets(apps, None)
    assert not TOTPDevice.objects.exists()
    device = AuthenticatorDevice.objects.get(user=finance)
    assert (device.name, device.key, device.last_t, device.drift) == ("Old phone", key, 5, 1)
    assert device.created_at.isoformat() == "2026-01-02T03:04:05+00:00"
    assert not any(form in stored_rows() for form in forms_of(key))
    assert second_factor_verify(user=finance, token=totp_code(key)) == device
    MIGRATION.decrypt_secrets(apps, None)  # backwards: in clear in django-otp's table again
    assert TOTPDevice.objects.get(user=finance).key == key
    assert not AuthenticatorDevice.objects.exists()


def test_rotating_the_keys_re_encrypts_the_secrets(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PAYDESK_SECRETS_KEYS = (old,)
    key = totp_key_new()
    device = AuthenticatorDevice.objects.create(
        user=StaffFactory(), name="Phone", key=key, confirmed=True
    )
    before = device.key_encrypted
    settings.PAYDESK_SECRETS_KEYS = (new, old)
    call_command("rotate_secrets_key")
    device.refresh_from_db()
    assert device.key_encrypted != before
    settings.PAYDESK_SECRETS_KEYS = (new,)  # the old key is gone: the app still signs in
    assert second_factor_verify(user=device.user, token=totp_code(key)) == device


def test_a_secret_no_key_reads_refuses_the_code_with_a_log_line_never_a_500(settings, caplog):
    settings.PAYDESK_SECRETS_KEYS = (Fernet.generate_key().decode(),)
    key = totp_key_new()
    device = AuthenticatorDevice.objects.create(
        user=StaffFactory(), name="Phone", key=key, confirmed=True
    )
    settings.PAYDESK_SECRETS_KEYS = (Fernet.generate_key().decode(),)  # the key was lost
    with caplog.at_level(logging.ERROR), pytest.raises(SecondFactorError):
        second_factor_verify(user=device.user, token=totp_code(key))
    assert f"authenticator app {device.pk}" in caplog.text and key not in caplog.text
