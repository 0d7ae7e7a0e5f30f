"""The sandbox's shared parts over real HTTP: the control page, the webhook switches (once,
twice, held until released, out of order, never) and what each delivery got back."""

from __future__ import annotations

import httpx
import pytest

from paydesk.sandbox.core import webhook_send
from paydesk.sandbox.models import WebhookStatus
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


def _send(about: str = "obj_1", event: str = "test.event"):
    # Unsigned: Paydesk refuses it (400), which is what the delivery records.
    return webhook_send("paystack", about=about, event_type=event, body=b"{}", headers={})


def test_the_control_page_is_served_to_staff_only(sandbox):
    page = sandbox_staff().get("/sandbox/")
    assert page.status_code == 200 and "Gateway sandbox" in page.content.decode()
    stranger = httpx.get(f"{sandbox.url}/sandbox/")
    assert stranger.status_code == 403 and "Sign in to the back office" in stranger.text


def test_normal_sends_once_and_records_paydesks_answer(sandbox):
    hook = _send()
    hook.refresh_from_db()
    assert hook.status == WebhookStatus.FAILED and hook.attempts == 1
    assert hook.last_response.startswith("HTTP 400") and "bad_signature" in hook.last_response


def test_twice_sends_twice(sandbox):
    sandbox.switch(webhooks="twice")
    hook = _send()
    hook.refresh_from_db()
    assert hook.attempts == 2


def test_late_holds_until_released(sandbox):
    sandbox.switch(webhooks="late")
    hook = _send()
    hook.refresh_from_db()
    assert hook.status == WebhookStatus.HELD and hook.attempts == 0
    assert sandbox.release() == 1
    hook.refresh_from_db()
    assert hook.attempts == 1


def test_out_of_order_sends_the_second_before_the_first(sandbox):
    sandbox.switch(webhooks="out_of_order")
    first = _send(event="first")
    first.refresh_from_db()
    assert first.status == WebhookStatus.HELD
    second = _send(event="second")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.attempts == second.attempts == 1
    assert second.delivered_at < first.delivered_at  # the newer one reached Paydesk first


def test_none_never_sends(sandbox):
    sandbox.switch(webhooks="none")
    hook = _send()
    hook.refresh_from_db()
    assert hook.status == WebhookStatus.DROPPED and hook.attempts == 0
    assert sandbox.release() == 0
