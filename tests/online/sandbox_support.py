"""Drivers shared by every gateway's tests: the sandbox's behaviour switches, set as a tester
sets them on the control page /sandbox/, and the webhooks the sandbox sent (or holds) read back
as the gateway wrote them. Each gateway's support module re-exports `sandbox_switch`."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.test import Client

from paydesk.ledger.models import Payment
from paydesk.sandbox.core import switch_set
from paydesk.sandbox.models import CASE_SWITCHES, SandboxWebhook

SWITCHES = CASE_SWITCHES  # the names sandbox_switch accepts


def sandbox_switch(name: str, value: bool = True) -> None:
    """Turn one behaviour switch on (or off, `value=False`); it applies from the next click or
    API call. Names: razorpay_manual_capture, razorpay_late_authorisation, razorpay_payer_notes,
    nowpayments_repay_after_expiry, paypal_declined_event, paystack_customer_fees. A wrong name
    raises ValueError."""
    switch_set(name, value)


def sent_webhooks(gateway: str, about: str = "") -> list[SandboxWebhook]:
    """Every webhook the sandbox made for `gateway` (about one object, if given), oldest first,
    whatever the webhook switch did with it (sent, held, dropped)."""
    hooks = SandboxWebhook.objects.filter(gateway=gateway).order_by("id")
    return list(hooks.filter(about=about) if about else hooks)


def webhook_json(hook: SandboxWebhook) -> dict[str, Any]:
    """A webhook's body as JSON (numbers kept exact)."""
    return json.loads(hook.body, parse_float=Decimal)


def cancel_in_paydesk(user: Any, payment: Payment) -> Payment:
    """Back from the gateway's Cancel, the customer presses "Cancel this payment" on the status
    page: a POST with our CSRF token (a link alone cancels nothing). The payment after it."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get(f"/pay/status/{payment.reference}/?left=1").content.decode()
    assert "data-cancel" in page, "the status page offers no Cancel button"
    form = page[page.index("data-cancel") :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    answer = browser.post(
        f"/pay/return/{payment.reference}/", {"cancelled": "1", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302, answer.status_code
    payment.refresh_from_db()
    return payment
