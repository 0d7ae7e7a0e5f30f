"""The sandbox's own pages — the switches page, each gateway's panel on it, the webhook
receiver's page — act on every customer's payments: in a demo anyone may reach, only signed-in
staff use them (paydesk.sandbox.access). The payer's pages and the pretend APIs stay open.

The story: a stranger who found the demo's address tries to open and lose a dispute on someone
else's card payment; a customer signed in to the portal tries the same; both are turned away
with a sign-in link, and the payment's dispute never opens. Support staff can press the buttons.
"""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.sandbox.models import Switches
from paydesk.sandbox.stripe.returns import refund_failure_armed
from tests.signin import sandbox_staff, sign_in

pytestmark = pytest.mark.django_db

SIGN_IN_LINK = 'href="/backoffice/login/?next=%2Fsandbox%2F"'

# Every button of the switches page posts to one of these (sandbox/templates/sandbox/*).
PANEL_POSTS = [
    ("/sandbox/", {"webhook_mode": "late", "api_fault": "none"}),
    ("/sandbox/", {"action": "release"}),
    ("/sandbox/stripe/panel/", {"action": "refund_fails", "refund_fails": "on"}),
    ("/sandbox/stripe/panel/", {"action": "dispute", "intent": "pi_someone_elses"}),
    ("/sandbox/stripe/sepa/settle/", {"intent": "pi_someone_elses", "action": "fail"}),
    ("/sandbox/paypal/dashboard", {"action": "decline_next_refund"}),
    ("/sandbox/paystack/dashboard", {"paystack_action": "refund_fails"}),
    ("/sandbox/razorpay/dashboard/", {"action": "fail_next_refund", "armed": "1"}),
    ("/sandbox/receiver/switch", {"state": "down"}),
]
STAFF_PAGES = ["/sandbox/", "/sandbox/receiver/"]


@pytest.fixture(params=["stranger", "customer"])
def outsider(request) -> Client:
    if request.param == "stranger":
        return Client()
    return sign_in(Client(), request.getfixturevalue("portal_user"))


def assert_turned_away(answer) -> None:
    text = answer.content.decode()
    assert answer.status_code == 403
    assert "only signed-in staff may use them" in text and "Nothing was changed." in text


@pytest.mark.parametrize(("path", "form"), PANEL_POSTS, ids=lambda v: str(v))
def test_a_panel_button_needs_a_signed_in_staff_user(outsider, path, form, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    answer = outsider.post(path, form)

    assert_turned_away(answer)
    assert SIGN_IN_LINK in answer.content.decode()  # back to the switches page after signing in
    switches = Switches.current()
    assert switches.webhook_mode == "normal" and not refund_failure_armed()
    assert not (tmp_path / "sandbox-receiver.down").exists()


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_the_switches_and_receiver_pages_need_a_signed_in_staff_user(outsider, path):
    answer = outsider.get(path)
    assert_turned_away(answer)
    assert f'href="/backoffice/login/?next={path.replace("/", "%2F")}"' in answer.content.decode()
    assert sandbox_staff().get(path).status_code == 200


def test_support_staff_press_the_panels_buttons():
    staff = sandbox_staff()
    answer = staff.post("/sandbox/stripe/panel/", {"action": "refund_fails", "refund_fails": "on"})
    assert answer.status_code == 302 and answer["Location"] == "/sandbox/"
    assert refund_failure_armed()
    assert staff.post("/sandbox/", {"webhook_mode": "late", "api_fault": "none"}).status_code == 302
    assert Switches.current().webhook_mode == "late"


@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/stripe/js/v3.js",
        "/sandbox/stripe/elements/card/",
        "/sandbox/stripe/3ds/pi_unknown/",
        "/sandbox/paypal/checkoutnow?token=UNKNOWN",
        "/sandbox/paystack/checkout/unknown",
        "/sandbox/razorpay/v1/checkout.js",
        "/sandbox/razorpay/checkout/order_unknown/",
        "/sandbox/nowpayments/payment/?iid=unknown",
    ],
)
def test_the_payers_pages_are_not_for_staff_only(path):
    # What they show the paying customer is driven through a browser by tests/online (the card
    # fields, 3-D Secure, PayPal approval, the hosted checkouts, the NOWPayments invoice); here
    # only that a stranger is not turned away from them.
    answer = Client().get(path)
    assert answer.status_code != 403
    assert b"only signed-in staff" not in answer.content
