"""Gateway credentials in the back office (issue 17): saved encrypted, shown only by source and
last four characters, audited as "changed", environment wins, prefixes refuse a wrong mode,
Administrators only."""

from __future__ import annotations

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.checkout.credentials import credential_lookup, credential_resolve
from paydesk.checkout.models import MethodConfig
from paydesk.gateways.credentials import gateway_credential
from paydesk.provider.models import GatewaySecret
from tests.provider.conftest import GATEWAYS

pytestmark = pytest.mark.django_db

LIVE_KEY = "sk_live_51PaydeskLiveSecretValue9876"
TEST_KEY = "sk_test_51PaydeskTestSecretValue1234"


def _save(client, gateway, mode, **values):
    data = {f"{gateway}-{mode}-{name}": value for name, value in values.items()}
    return client.post(f"{GATEWAYS}{gateway}/{mode}/save/", data)


def test_a_saved_secret_is_encrypted_used_in_its_mode_and_never_shown(administrator):
    answer = _save(administrator, "paystack", "live", PAYDESK_PAYSTACK_SECRET_KEY=LIVE_KEY)
    assert answer.status_code == 302
    row = GatewaySecret.objects.get(gateway="paystack", mode="live")
    assert LIVE_KEY not in row.ciphertext and row.last_four == "9876"
    MethodConfig.objects.filter(method="paystack").update(mode="live")
    assert gateway_credential("PAYDESK_PAYSTACK_SECRET_KEY") == LIVE_KEY
    page = administrator.get(GATEWAYS).content.decode()
    assert LIVE_KEY not in page and LIVE_KEY[8:-4] not in page
    assert "…9876" in page and "stored here" in page
    MethodConfig.objects.filter(method="paystack").update(mode="test")
    # the test set has nothing stored: the settings' (sandbox's) own key again
    assert gateway_credential("PAYDESK_PAYSTACK_SECRET_KEY") == "sk_test_paydesk_sandbox_paystack"


def test_the_audit_log_says_changed_and_never_the_value(administrator):
    _save(
        administrator,
        "stripe",
        "test",
        PAYDESK_STRIPE_SECRET_KEY=TEST_KEY,
        PAYDESK_STRIPE_WEBHOOK_SECRET="whsec_abcdefghijklmnop",
    )
    entry = AuditEntry.objects.get(action="gateway_credentials.update")
    assert entry.after == {
        "gateway": "stripe",
        "mode": "test",
        "Secret key": "changed",
        "Webhook signing secret": "changed",
    }
    text = str(entry.before) + str(entry.after)
    assert TEST_KEY not in text and "whsec_abcdefghijklmnop" not in text


def test_a_live_key_in_the_test_set_is_refused_next_to_the_field(administrator):
    answer = _save(administrator, "stripe", "test", PAYDESK_STRIPE_SECRET_KEY=LIVE_KEY)
    assert answer.status_code == 200
    assert "this is a live key" in answer.content.decode()
    assert not GatewaySecret.objects.exists()


def test_switching_to_live_with_a_test_key_is_refused(administrator):
    _save(
        administrator,
        "stripe",
        "live",
        PAYDESK_STRIPE_SECRET_KEY=TEST_KEY.replace("sk_test_", "sk_tst_"),
    )  # not a recognised prefix: stored
    answer = administrator.post(
        f"{GATEWAYS}stripe/mode/", {"stripe-mode-mode": "live"}, follow=True
    )
    # the publishable key of the live set is the sandbox's pk_test_…: refused
    assert "cannot switch to live mode" in answer.content.decode()
    assert MethodConfig.objects.get(method="card").mode == "test"
    _save(
        administrator,
        "stripe",
        "live",
        PAYDESK_STRIPE_SECRET_KEY=LIVE_KEY,
        PAYDESK_STRIPE_PUBLISHABLE_KEY="pk_live_51PaydeskPublishable",
    )
    answer = administrator.post(
        f"{GATEWAYS}stripe/mode/", {"stripe-mode-mode": "live"}, follow=True
    )
    assert "Stripe (card) is now in live mode." in answer.content.decode()
    assert MethodConfig.objects.get(method="card").mode == "live"
    assert gateway_credential("PAYDESK_STRIPE_SECRET_KEY") == LIVE_KEY


def test_the_environment_wins_and_the_page_says_so(administrator, monkeypatch):
    _save(administrator, "paystack", "test", PAYDESK_PAYSTACK_SECRET_KEY=TEST_KEY)
    monkeypatch.setenv("PAYDESK_PAYSTACK_SECRET_KEY", "sk_test_from_the_environment_0000")
    assert credential_resolve("PAYDESK_PAYSTACK_SECRET_KEY") == "sk_test_from_the_environment_0000"
    assert credential_lookup("PAYDESK_PAYSTACK_SECRET_KEY").source == "environment"
    page = administrator.get(GATEWAYS).content.decode()
    assert 'data-setting="PAYDESK_PAYSTACK_SECRET_KEY" data-source="environment"' in page
    assert "from the environment" in page


def test_the_page_shows_the_webhook_url_and_the_last_notification(administrator, settings):
    settings.PAYDESK_PUBLIC_URL = "https://portal.example.com"
    page = administrator.get(GATEWAYS).content.decode()
    assert "https://portal.example.com/webhooks/paypal/" in page
    assert 'data-copy="webhook-paypal"' in page
    assert "none yet" in page


@pytest.mark.parametrize("who", ["finance", "support"])
def test_finance_and_support_get_403_and_nothing_changes(who, request):
    client = request.getfixturevalue(who)
    assert client.get(GATEWAYS).status_code == 403
    assert _save(client, "stripe", "test", PAYDESK_STRIPE_SECRET_KEY=TEST_KEY).status_code == 403
    assert client.post(f"{GATEWAYS}stripe/test/test/").status_code == 403
    assert client.post(f"{GATEWAYS}stripe/mode/", {"stripe-mode-mode": "live"}).status_code == 403
    assert client.get("/backoffice/provider/brand/").status_code == 403
    assert not GatewaySecret.objects.exists()
    assert MethodConfig.objects.get(method="card").mode == "test"
    home = client.get("/backoffice/").content.decode()
    assert "Gateway settings" not in home and "gatewaysecret" not in home


def test_a_stored_value_can_be_removed_and_the_default_comes_back(administrator):
    _save(administrator, "paystack", "test", PAYDESK_PAYSTACK_SECRET_KEY=TEST_KEY)
    assert gateway_credential("PAYDESK_PAYSTACK_SECRET_KEY") == TEST_KEY
    page = administrator.get(GATEWAYS).content.decode()
    assert "Remove the stored secret key" in page  # only where something is stored
    assert "id_paystack-live-clear_PAYDESK_PAYSTACK_SECRET_KEY" not in page
    _save(administrator, "paystack", "test", clear_PAYDESK_PAYSTACK_SECRET_KEY="on")
    assert not GatewaySecret.objects.exists()
    assert gateway_credential("PAYDESK_PAYSTACK_SECRET_KEY") == "sk_test_paydesk_sandbox_paystack"
    removed = AuditEntry.objects.filter(action="gateway_credentials.update").latest("id")
    assert removed.after == {"gateway": "paystack", "mode": "test", "Secret key": "removed"}


def test_a_webhook_is_checked_with_the_stored_secret_and_its_time_shown(administrator, client):
    from tests.gateways.senders import PaystackSender

    stored = "sk_test_stored_in_the_back_office_01"
    _save(administrator, "paystack", "test", PAYDESK_PAYSTACK_SECRET_KEY=stored)
    sender = PaystackSender()
    default = sender.notify(
        "completed", 1, "PD-NOSUCH", "10.00", "NGN", secret="sk_test_paydesk_sandbox_paystack"
    )
    refused = client.post(
        "/webhooks/paystack/",
        default.body,
        content_type="application/json",
        headers=default.headers,
    )
    assert refused.status_code == 400  # the settings' default no longer signs for Paystack
    signed = sender.notify("completed", 2, "PD-NOSUCH", "10.00", "NGN", secret=stored)
    answer = client.post(
        "/webhooks/paystack/", signed.body, content_type="application/json", headers=signed.headers
    )
    assert answer.status_code < 300
    block = administrator.get(GATEWAYS).content.decode().split('id="gateway-paystack"')[1]
    last = block.split("Last notification received:")[1].split("</p>")[0]
    assert "<time datetime=" in last and "none yet" not in last


def test_sepa_debit_follows_the_card_methods_mode_one_stripe_account():
    from paydesk.checkout.selectors import method_in_test_mode

    MethodConfig.objects.filter(method="sepa_debit").update(mode="live")
    assert method_in_test_mode("sepa_debit")  # the card method (Stripe's keys) is in test mode
    MethodConfig.objects.filter(method="card").update(mode="live")
    assert not method_in_test_mode("sepa_debit") and not method_in_test_mode("card")
    assert not method_in_test_mode("bank_transfer")  # no gateway keys: never a badge


def test_each_entry_field_says_an_empty_one_changes_nothing(administrator):
    """The entry fields under each set's table were bare boxes: each says what typing in it does."""
    page = administrator.get(GATEWAYS).content.decode()
    assert 'aria-describedby="id_stripe-test-PAYDESK_STRIPE_SECRET_KEY_helptext"' in page
    assert "Type a value to store it here; left empty, nothing changes." in page
