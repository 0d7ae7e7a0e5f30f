"""The behaviour switches on the control page /sandbox/: each gateway case the sandbox can play
beyond its default, off unless turned on, saved from the page's form as a tester saves it."""

from __future__ import annotations

import pytest

from paydesk.sandbox.models import CASE_SWITCHES, Switches
from tests.online.sandbox_support import sandbox_switch
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_switch_is_on_the_page_and_off_by_default(sandbox):
    page = sandbox_staff().get("/sandbox/").content.decode()
    for name in CASE_SWITCHES:
        assert f'<input type="checkbox" id="{name}" name="{name}">' in page  # unticked
    assert "Late-authorise failed payments" in page
    switches = Switches.current()
    assert not any(getattr(switches, name) for name in CASE_SWITCHES)


def test_the_form_saves_ticked_switches_and_clears_unticked_ones(sandbox):
    sandbox_switch("paypal_declined_event")
    answer = sandbox_staff().post(
        "/sandbox/",
        {
            "webhook_mode": "twice",
            "api_fault": "none",
            "fault_gateway": "",
            "razorpay_manual_capture": "on",
            "paystack_customer_fees": "on",
        },
    )
    assert answer.status_code == 302
    switches = Switches.current()
    assert switches.webhook_mode == "twice"
    on = {name for name in CASE_SWITCHES if getattr(switches, name)}
    assert on == {"razorpay_manual_capture", "paystack_customer_fees"}
    page = sandbox_staff().get("/sandbox/").content.decode()
    assert 'id="razorpay_manual_capture" name="razorpay_manual_capture" checked' in page


def test_an_unknown_switch_is_refused(sandbox):
    with pytest.raises(ValueError, match="No sandbox switch"):
        sandbox_switch("stripe_everything_free")
