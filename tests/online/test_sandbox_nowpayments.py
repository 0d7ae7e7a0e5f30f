"""The pretend NOWPayments: an invoice whose payment expired can be paid again (a new payment id
on the same invoice and order, with its own IPNs), behind the nowpayments_repay_after_expiry
switch; and every IPN is signed as NOWPayments signs it.

The signatures are checked by NOWPayments' own documented Node code — `sortObject` then
JSON.stringify, HMAC-SHA512 — run in a real JavaScript engine (the Node that ships with
Playwright, a test dependency), so neither Paydesk's nor the sandbox's Python canonicalisation
is trusted to check itself. Webhooks are stored without delivery (`none`) unless said otherwise.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import httpx
import playwright
import pytest
from django.conf import settings
from django.test import Client

from paydesk.sandbox.core import object_find
from tests.online.nowpayments_steps import (
    api_invoice_payments,
    api_payment,
    expire_then_pay_again,
    press,
    sandbox_switch,
    start,
)
from tests.online.sandbox_support import sent_webhooks, webhook_json

pytestmark = pytest.mark.django_db(transaction=True)

NODE = Path(playwright.__file__).parent / "driver" / "node"
VECTORS = json.loads((Path(__file__).parents[1] / "gateways/data/vectors.json").read_text())
# NOWPayments' documented verification, as its docs write it for Node.
SIGN_IN_NODE = """
const crypto = require('crypto');
let input = '';
process.stdin.on('data', d => input += d).on('end', () => {
  const {secret, bodies} = JSON.parse(input);
  function sortObject(obj) {
    return Object.keys(obj).sort().reduce((result, key) => {
      result[key] = (obj[key] && typeof obj[key] === 'object') ? sortObject(obj[key]) : obj[key];
      return result;
    }, {});
  }
  process.stdout.write(JSON.stringify(bodies.map(body => crypto.createHmac('sha512', secret)
    .update(JSON.stringify(sortObject(JSON.parse(body)))).digest('hex'))));
});
"""


def node_signatures(secret: str, bodies: list[str]) -> list[str]:
    assert NODE.exists(), f"Playwright's Node is missing at {NODE}"
    done = subprocess.run(
        [str(NODE), "-e", SIGN_IN_NODE],
        input=json.dumps({"secret": secret, "bodies": bodies}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def _ipns_signed_by_nowpayments(hooks) -> bool:
    expected = node_signatures(settings.PAYDESK_NOWPAYMENTS_IPN_SECRET, [h.body for h in hooks])
    return [h.headers["x-nowpayments-sig"] for h in hooks] == expected


def test_node_reproduces_the_published_vector():
    """The checker itself is right: it gives the signature NOWPayments' vector publishes."""
    vector = VECTORS["nowpayments_ipn_signature"]
    assert node_signatures(vector["secret"], [vector["body"]]) == [
        vector["hmac_sha512_hex_recursive_sort"]
    ]


@pytest.fixture
def invoice(sandbox, online_customer):
    sandbox.switch(webhooks="none")
    payment = start(online_customer("nowpayments")).payment
    return object_find("nowpayments", "invoice", payment.reference)


def _ipns(payment_ids) -> list[tuple[int, str]]:
    return [
        (body["payment_id"], body["payment_status"])
        for body in map(webhook_json, sent_webhooks("nowpayments"))
        if body["payment_id"] in payment_ids
    ]


def test_an_expired_invoice_is_paid_again_with_a_new_payment(invoice):
    sandbox_switch("nowpayments_repay_after_expiry")
    url = invoice.data["invoice_url"]
    expired_at, repaid_at = expire_then_pay_again(url)
    assert expired_at == invoice.data["cancel_url"]
    new_id = int(httpx.URL(repaid_at).params["NP_id"])
    assert repaid_at.startswith(invoice.data["success_url"])

    listed = api_invoice_payments(invoice.object_id)
    assert [p["payment_status"] for p in listed] == ["expired", "finished"]
    old_id = listed[0]["payment_id"]
    assert listed[1]["payment_id"] == new_id != old_id
    for payment in listed:
        assert payment["invoice_id"] == int(invoice.object_id)
        assert payment["order_id"] == invoice.data["order_id"]
        assert payment["price_amount"] == Decimal("10") and payment["price_currency"] == "usd"
    assert api_payment(old_id)["payment_status"] == "expired"
    finished = api_payment(new_id)
    assert finished["payment_status"] == "finished"
    assert finished["actually_paid"] == finished["pay_amount"] == Decimal("0.00016667")

    assert _ipns({old_id, new_id}) == [
        (old_id, "waiting"),
        (old_id, "expired"),
        (new_id, "waiting"),
        (new_id, "confirming"),
        (new_id, "finished"),
    ]
    assert _ipns_signed_by_nowpayments(sent_webhooks("nowpayments"))


def test_the_invoice_page_offers_the_second_payment_only_with_its_switch(invoice):
    url = httpx.URL(invoice.data["invoice_url"])
    press(str(url), "expired")
    page = Client().get(url.path, dict(url.params)).content.decode()
    assert "Pay again after expiry" not in page  # switch off: the page as it always was
    refused = Client().post(url.path, {"iid": invoice.object_id, "outcome": "repay"})
    assert refused.status_code == 200 and len(api_invoice_payments(invoice.object_id)) == 1
    sandbox_switch("nowpayments_repay_after_expiry")
    page = Client().get(url.path, dict(url.params)).content.decode()
    assert "Pay again after expiry" in page and 'data-payment-status="expired"' in page


def test_a_paid_invoice_is_not_paid_again(invoice):
    sandbox_switch("nowpayments_repay_after_expiry")
    url = httpx.URL(invoice.data["invoice_url"])
    press(str(url), "finished")
    assert "Pay again after expiry" not in Client().get(url.path, dict(url.params)).content.decode()
    Client().post(url.path, {"iid": invoice.object_id, "outcome": "repay"})
    assert len(api_invoice_payments(invoice.object_id)) == 1


def test_ipn_bodies_are_not_sorted_and_keep_their_digits_yet_verify(invoice):
    """The IPN lists fields in NOWPayments' order and writes 0.00010000 with its zeros; the
    signature is over the sorted text JavaScript writes (…0.0001…), so a receiver must do as
    NOWPayments does to check it."""
    press(invoice.data["invoice_url"], "partially_paid")
    hooks = sent_webhooks("nowpayments")
    last = hooks[-1].body
    assert list(json.loads(last)) != sorted(json.loads(last))
    assert '"actually_paid":0.00010000' in last
    assert _ipns_signed_by_nowpayments(hooks)
