"""A Stripe event written in another API version than Paydesk speaks (the webhook endpoint's
version in Stripe's Dashboard, docs/gateways/stripe.md) is still read, and logged for the
operator to fix the endpoint."""

from __future__ import annotations

import json
import logging

import pytest

from paydesk.gateways.base import Outcome
from paydesk.gateways.stripe.webhooks import STRIPE_API_VERSION, parse_stripe_event

pytestmark = pytest.mark.sqlite_pass_only  # parsing only


def succeeded(version: str | None) -> bytes:
    event = {
        "id": "evt_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_1",
                "object": "payment_intent",
                "amount": 1050,
                "amount_received": 1050,
                "currency": "usd",
                "status": "succeeded",
                "metadata": {"paydesk_reference": "ABCDE-FGHJK-C"},
                "payment_method_types": ["card"],
            }
        },
    }
    if version is not None:
        event["api_version"] = version
    return json.dumps(event).encode()


def test_an_event_in_another_api_version_is_read_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="paydesk.gateways"):
        parsed = parse_stripe_event(succeeded("2024-06-20"))
    assert parsed is not None and parsed.outcome is Outcome.COMPLETED
    assert [r.getMessage() for r in caplog.records] == [
        f"Stripe event evt_1 is written in API version 2024-06-20; Paydesk speaks "
        f"{STRIPE_API_VERSION}. Set the webhook endpoint's API version in Stripe's Dashboard "
        "(docs/gateways/stripe.md)."
    ]


@pytest.mark.parametrize("version", [STRIPE_API_VERSION, None])
def test_an_event_in_our_version_or_none_logs_nothing(caplog, version):
    with caplog.at_level(logging.WARNING, logger="paydesk.gateways"):
        assert parse_stripe_event(succeeded(version)) is not None
    assert caplog.records == []
