"""Rotating the key that encrypts stored gateway credentials keeps every one readable
(`paydesk rotate-secrets-key`), and a key that does not parse stops the start."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from paydesk.crypto import SecretUnreadable
from paydesk.provider.credentials import credentials_save, stored_value
from paydesk.provider.models import GatewaySecret
from paydesk.settings.values import fernet_keys_parse

pytestmark = pytest.mark.django_db

VALUES = {
    ("paypal", "test", "PAYDESK_PAYPAL_CLIENT_SECRET"): "EO-paypal-client-secret-0001",
    ("paystack", "live", "PAYDESK_PAYSTACK_SECRET_KEY"): "sk_live_paystack_secret_0002",
    ("nowpayments", "test", "PAYDESK_NOWPAYMENTS_PASSWORD"): "now-password-0003",
}


def test_rotation_keeps_every_secret_readable_under_the_new_key_alone(admin_user, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PAYDESK_SECRETS_KEYS = (old,)
    for (gateway, mode, setting), value in VALUES.items():
        credentials_save(actor=admin_user, gateway=gateway, mode=mode, values={setting: value})
    before = dict(GatewaySecret.objects.values_list("pk", "ciphertext"))

    settings.PAYDESK_SECRETS_KEYS = (new, old)
    call_command("rotate_secrets_key")
    after = dict(GatewaySecret.objects.values_list("pk", "ciphertext"))
    assert set(after) == set(before) and all(after[pk] != before[pk] for pk in after)

    settings.PAYDESK_SECRETS_KEYS = (new,)  # the old key is gone
    for (_gateway, mode, setting), value in VALUES.items():
        assert stored_value(setting, mode) == value
    settings.PAYDESK_SECRETS_KEYS = (old,)  # and the old key alone no longer reads them
    with pytest.raises(SecretUnreadable):
        stored_value("PAYDESK_PAYSTACK_SECRET_KEY", "live")


def test_rotating_without_the_old_key_fails_loudly_and_changes_nothing(admin_user, settings):
    settings.PAYDESK_SECRETS_KEYS = (Fernet.generate_key().decode(),)
    credentials_save(
        actor=admin_user,
        gateway="paystack",
        mode="test",
        values={"PAYDESK_PAYSTACK_SECRET_KEY": "sk_test_value_0004"},
    )
    before = GatewaySecret.objects.get().ciphertext
    settings.PAYDESK_SECRETS_KEYS = (Fernet.generate_key().decode(),)
    with pytest.raises(Exception, match="cannot be decrypted"):
        call_command("rotate_secrets_key")
    assert GatewaySecret.objects.get().ciphertext == before


def test_a_key_that_is_not_a_fernet_key_stops_the_start():
    good = Fernet.generate_key().decode()
    assert fernet_keys_parse(f" {good} ,", setting="PAYDESK_SECRETS_KEYS") == (good,)
    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        fernet_keys_parse(f"{good},not-a-key", setting="PAYDESK_SECRETS_KEYS")


def test_an_unreadable_secret_refuses_the_webhook_and_says_so_never_a_500(
    admin_user, settings, caplog, client
):
    settings.PAYDESK_SECRETS_KEYS = (Fernet.generate_key().decode(),)
    credentials_save(
        actor=admin_user,
        gateway="stripe",
        mode="test",
        values={"PAYDESK_STRIPE_WEBHOOK_SECRET": "whsec_stored_then_lost_key"},
    )
    settings.PAYDESK_SECRETS_KEYS = (Fernet.generate_key().decode(),)  # the key was lost
    answer = client.post(
        "/webhooks/stripe/",
        b'{"id": "evt_1"}',
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=00"},
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_signature"
    assert "PAYDESK_STRIPE_WEBHOOK_SECRET is stored but cannot be decrypted" in caplog.text
    assert "whsec_stored_then_lost_key" not in caplog.text


def test_rotation_keeps_an_outgoing_webhook_signing_secret_readable(admin_user, settings):
    from paydesk.outhooks.crypto import secret_decrypt
    from paydesk.outhooks.models import Endpoint
    from paydesk.outhooks.services import endpoint_create

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PAYDESK_SECRETS_KEYS = (old,)
    made = endpoint_create(url="https://hooks.example.com/paydesk", actor=admin_user)
    before = Endpoint.objects.get().secret_encrypted

    settings.PAYDESK_SECRETS_KEYS = (new, old)
    call_command("rotate_secrets_key")
    after = Endpoint.objects.get().secret_encrypted
    assert after != before

    settings.PAYDESK_SECRETS_KEYS = (new,)  # the old key is gone
    assert secret_decrypt(after) == made.secret
