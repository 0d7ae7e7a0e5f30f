"""The pretend Paystack with the customer bearing the fees (paystack_customer_fees; a merchant's
"pass charges to customers"): the transaction's `amount` is the `requested_amount` Paydesk
initialised plus the fees, with `fees` and `fees_split` set — in the signed `charge.success`
webhook and in GET /transaction/verify/{reference} alike. Off, the amount is what was asked.

Signatures are checked here with plain `hmac` (hex HMAC-SHA512 of the raw body with the secret
key, as Paystack documents). Webhooks are stored without delivery (`none`): this is about what
Paystack sends, not what Paydesk does with it.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest
from django.conf import settings

from tests.online.paystack_support import press, sandbox_switch, start, verify
from tests.online.sandbox_support import sent_webhooks, webhook_json

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checkout(sandbox, online_customer):
    sandbox.switch(webhooks="none")
    return start(online_customer("paystack", "NGN"), amount="5000")


def _signed_by_paystack(hook) -> bool:
    expected = hmac.new(
        settings.PAYDESK_PAYSTACK_SECRET_KEY.encode(), hook.body.encode(), hashlib.sha512
    ).hexdigest()
    return hmac.compare_digest(hook.headers["x-paystack-signature"], expected)


def test_the_customer_pays_the_fees_on_top_of_the_requested_amount(checkout):
    sandbox_switch("paystack_customer_fees")
    page = httpx.get(checkout.redirect_url, timeout=30).text
    assert "Pay ₦5,075.00 NGN" in page
    assert "Includes ₦75.00 NGN in fees" in page
    assert press(checkout.redirect_url, "pay").status_code == 302

    reference = checkout.payment.reference
    (hook,) = sent_webhooks("paystack", reference)
    assert hook.event_type == "charge.success" and _signed_by_paystack(hook)
    sent = webhook_json(hook)["data"]
    verified = verify(reference)
    for data in (sent, verified):
        assert data["status"] == "success" and data["reference"] == reference
        assert data["requested_amount"] == 500000  # what Paydesk initialised, in kobo
        assert data["fees"] == 7500  # 1.5 %
        assert data["amount"] == data["requested_amount"] + data["fees"] == 507500
        assert data["fees_split"]["paystack"] == 7500
        assert data["fees_split"]["integration"] == 500000
        assert set(data["fees_split"]) == {"paystack", "integration", "subaccount", "params"}
    assert sent == verified


def test_without_the_switch_the_merchant_pays_the_fees_as_before(checkout):
    page = httpx.get(checkout.redirect_url, timeout=30).text
    assert "Pay ₦5,000.00 NGN" in page and "in fees" not in page
    press(checkout.redirect_url, "pay")
    (hook,) = sent_webhooks("paystack", checkout.payment.reference)
    assert _signed_by_paystack(hook)
    for data in (webhook_json(hook)["data"], verify(checkout.payment.reference)):
        assert data["amount"] == data["requested_amount"] == 500000
        assert data["fees"] == 7500 and data["fees_split"] is None


def test_a_declined_charge_carries_no_fees_either_way(checkout):
    sandbox_switch("paystack_customer_fees")
    press(checkout.redirect_url, "decline")
    data = verify(checkout.payment.reference)
    assert data["status"] == "failed"
    assert data["amount"] == data["requested_amount"] == 500000 and data["fees"] is None
    assert sent_webhooks("paystack", checkout.payment.reference) == []
