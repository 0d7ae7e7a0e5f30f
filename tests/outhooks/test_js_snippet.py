"""The JavaScript verification snippet of docs/outgoing-webhooks.md, run by Node.js as it is
published, accepts what Paydesk really sent and refuses a changed body, another secret and an
old timestamp. Skipped (outside CI) without `node`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import deliveries_send_due
from paydesk.outhooks.models import Endpoint
from paydesk.outhooks.services import endpoint_create
from tests.factories import StaffFactory
from tests.outhooks.receiver import DOC, Receiver

pytestmark = pytest.mark.django_db

NODE = shutil.which("node")


def node_verify(cases: list[dict]) -> list[bool]:
    snippet = re.search(r"```js\n(.*?)```", DOC.read_text(), re.S).group(1)
    program = snippet + (
        "\nconst cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map((c) =>"
        " paydeskVerify(c.secret, c.header, Buffer.from(c.body, 'base64'), c.now))));\n"
    )
    done = subprocess.run(
        [NODE, "-e", program], input=json.dumps(cases), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def a_real_delivery(customer) -> tuple[str, bytes, str]:
    """(secret, body, Paydesk-Signature) of what Paydesk really sent for a top-up of 12.34."""
    made = endpoint_create(url="http://127.0.0.1:1/x", actor=StaffFactory(staff_role="admin"))
    receiver = Receiver(made.secret).start()
    try:
        Endpoint.objects.filter(pk=made.endpoint.pk).update(url=receiver.url)
        payment_create(customer=customer, total="12.34", description="Top-up")
        deliveries_send_due()
    finally:
        receiver.stop()
    sent = receiver.requests[0]
    return made.secret, sent["body"], sent["headers"]["Paydesk-Signature"]


@pytest.mark.skipif(NODE is None and os.environ.get("CI") != "true", reason="needs node")
def test_the_javascript_snippet_verifies_what_paydesk_sends(customer):
    import base64

    secret, raw, header = a_real_delivery(customer)
    stamp = int(header.split(",")[0].removeprefix("t="))
    body = base64.b64encode(raw).decode()
    changed = base64.b64encode(raw.replace(b"12.34", b"99.34")).decode()
    ok = {"secret": secret, "header": header, "body": body, "now": stamp + 10}
    assert node_verify(
        [
            ok,
            {**ok, "body": changed},
            {**ok, "secret": "whsec_another"},
            {**ok, "now": stamp + 301},
            {**ok, "header": "garbage"},
        ]
    ) == [True, False, False, False, False]


def test_the_python_snippet_refuses_changes_other_secrets_and_old_timestamps(customer):
    from tests.outhooks.receiver import documented_verify

    verify = documented_verify()
    secret, body, header = a_real_delivery(customer)
    stamp = int(header.split(",")[0].removeprefix("t="))
    assert verify(secret, header, body, now=stamp + 10)
    assert not verify(secret, header, body.replace(b"12.34", b"99.34"), now=stamp)
    assert not verify("whsec_another", header, body, now=stamp)
    assert not verify(secret, header, body, now=stamp + 301)
    assert not verify(secret, "garbage", body, now=stamp)
