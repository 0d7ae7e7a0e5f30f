"""Issue 20's Done-when, in the tests: the demo's endpoint points at the sandbox's receiver
(served by a live server); a top-up's signed payment.completed and balance.changed arrive and
verify with the receiver's own code; with the receiver down two more top-ups wait; back up,
they arrive in order. A forged signature is refused by the receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.utils import timezone

from paydesk.demo.seed import seed_demo_webhook
from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import deliveries_send_due
from paydesk.outhooks.models import Delivery
from paydesk.outhooks.services import WebhookAddressRefused
from paydesk.sandbox.receiver import received
from tests.factories import StaffFactory
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


DEMO_OUTHOOKS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.PAYDESK_OUTHOOKS_ALLOW_HTTP, s.PAYDESK_OUTHOOKS_ALLOW_PRIVATE]))"
)


@pytest.fixture
def demo_outhooks_settings(settings):
    """The outgoing webhooks' settings as the demo's settings module has them (its receiver is
    on this machine: http, localhost), read in a process of its own, not the tests' values."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "paydesk.settings.demo"}
    env.pop("PAYDESK_OUTHOOKS_ALLOW_PRIVATE", None)
    env.pop("PAYDESK_OUTHOOKS_ALLOW_HTTP", None)
    out = subprocess.run(
        [sys.executable, "-c", DEMO_OUTHOOKS], env=env, capture_output=True, text=True, check=True
    )
    allow_http, allow_private = json.loads(out.stdout.strip().splitlines()[-1])
    assert allow_http and allow_private
    settings.PAYDESK_OUTHOOKS_ALLOW_HTTP = allow_http
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = allow_private
    return settings


def test_watch_events_arrive_go_down_and_come_back_in_order(
    live_server, receiver_dir, customer, demo_outhooks_settings
):
    StaffFactory(staff_role="admin", email="admin@example.com")
    seed_demo_webhook(base_url=live_server.url)
    payment_create(customer=customer, total="20.00", description="Top-up")
    assert deliveries_send_due() == 2
    got = received()[::-1]
    assert [(e["type"], e["verified"]) for e in got] == [
        ("payment.completed", True),
        ("balance.changed", True),
    ]
    page = sandbox_staff().get("/sandbox/receiver/")
    assert page.status_code == 200 and b"Verified" in page.content
    assert sandbox_staff().post("/sandbox/receiver/switch", {"state": "down"}).status_code == 302
    payment_create(customer=customer, total="2.00", description="Top-up")
    payment_create(customer=customer, total="3.00", description="Top-up")
    assert deliveries_send_due() == 0
    assert Delivery.objects.filter(status="pending").count() == 4
    sandbox_staff().post("/sandbox/receiver/switch", {"state": "up"})
    assert deliveries_send_due(now=timezone.now() + timezone.timedelta(minutes=5)) == 4
    arrived = [e for e in received()[::-1] if e["type"] == "payment.completed"]
    assert ['"2.00"' in e["body"] for e in arrived[1:]] == [True, False]
    assert ['"3.00"' in e["body"] for e in arrived[1:]] == [False, True]
    assert all(e["verified"] for e in received())


def test_without_the_demo_settings_its_local_receiver_is_refused(live_server, settings, db):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = False
    StaffFactory(staff_role="admin", email="admin@example.com")
    with pytest.raises(WebhookAddressRefused, match="loopback"):
        seed_demo_webhook(base_url=live_server.url)


def test_the_receiver_refuses_a_forged_signature(receiver_dir, db):
    answer = Client().post(
        "/sandbox/receiver/",
        b'{"id":"evt_1","type":"payment.completed","data":{}}',
        content_type="application/json",
        headers={"Paydesk-Signature": "t=1,v1=00"},
    )
    assert answer.status_code == 400
    assert received()[0]["verified"] is False
