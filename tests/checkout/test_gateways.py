"""The gateway boundary: frozen, typed data; whole minor units only; secrets never kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paydesk.errors import GatewayError, GatewayNotConfigured
from paydesk.gateways.bank_transfer.gateway import BankTransferGateway
from paydesk.gateways.base import CheckoutRequest, CheckoutResult, Gateway, GatewayEvent, Outcome
from paydesk.gateways.registry import (
    gateway_for,
    gateway_is_configured,
    gateway_methods,
    gateway_secrets_status,
)
from paydesk.gateways.voucher.gateway import VoucherGateway
from paydesk.money import Money

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def request(amount: str, currency: str) -> CheckoutRequest:
    return CheckoutRequest(
        payment_reference="P-ABC",
        amount=Money(Decimal(amount), currency),
        customer_email="a@example.com",
        description="Top-up",
        idempotency_key="k" * 20,
        expires_at=WHEN,
    )


@pytest.mark.parametrize(
    ("amount", "currency"), [("10.001", "USD"), ("100.5", "JPY"), ("1.0001", "KWD"), ("0", "USD")]
)
def test_a_checkout_request_is_whole_minor_units_above_zero(amount, currency):
    with pytest.raises(GatewayError):
        request(amount, currency)


def test_a_checkout_request_is_frozen_and_bank_transfer_answers_pending():
    req = request("1.234", "KWD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.amount = Money("1", "KWD")  # type: ignore[misc]
    result = BankTransferGateway().start_checkout(req)
    assert result == CheckoutResult(outcome=Outcome.PENDING, gateway_reference="P-ABC")


def test_a_redirect_is_only_for_a_pending_payment():
    with pytest.raises(GatewayError):
        CheckoutResult(outcome=Outcome.COMPLETED, redirect_url="https://example.com")


def test_an_event_names_its_payment_and_redacts_its_summary():
    with pytest.raises(GatewayError):
        GatewayEvent(gateway="paypal", event_id="e1", outcome="completed")
    with pytest.raises(ValueError):
        GatewayEvent(gateway="paypal", event_id="e1", outcome="paid", payment_reference="P")
    event = GatewayEvent(
        gateway="paypal",
        event_id="e1",
        outcome="completed",
        payment_reference="P",
        summary={"status": "COMPLETED", "CVC": "123", "api_key": "sk_live_x", "amount": 10},
    )
    assert event.outcome is Outcome.COMPLETED
    assert dict(event.summary) == {
        "status": "COMPLETED",
        "CVC": "[redacted]",
        "api_key": "[redacted]",
        "amount": "10",
    }
    with pytest.raises(TypeError):
        event.summary["status"] = "x"  # type: ignore[index]


def test_a_fee_is_an_exact_decimal():
    with pytest.raises(GatewayError):
        GatewayEvent(gateway="g", event_id="e", outcome="completed", payment_reference="P", fee=0.5)  # type: ignore[arg-type]


def test_the_registry_maps_methods_to_gateways_from_settings(settings):
    settings.PAYDESK_GATEWAYS = {  # as before any online gateway was registered
        method: path
        for method, path in settings.PAYDESK_GATEWAYS.items()
        if method in ("bank_transfer", "voucher")
    }
    assert gateway_methods() == ["bank_transfer", "voucher"]
    assert isinstance(gateway_for("bank_transfer"), BankTransferGateway)
    assert isinstance(gateway_for("voucher"), Gateway)
    assert gateway_is_configured("bank_transfer") and not gateway_is_configured("paypal")
    with pytest.raises(GatewayNotConfigured):
        gateway_for("paypal")


def test_secrets_come_from_the_environment_and_only_their_presence_is_reported(
    settings, monkeypatch
):
    settings.PAYDESK_GATEWAYS = {
        **settings.PAYDESK_GATEWAYS,
        "paypal": "tests.checkout.test_gateways.SecretGateway",
    }
    monkeypatch.delenv("PAYDESK_TEST_GATEWAY_SECRET", raising=False)
    assert gateway_secrets_status("paypal") == {"PAYDESK_TEST_GATEWAY_SECRET": False}
    assert not gateway_is_configured("paypal")
    monkeypatch.setenv("PAYDESK_TEST_GATEWAY_SECRET", "s3cret")
    assert gateway_secrets_status("paypal") == {"PAYDESK_TEST_GATEWAY_SECRET": True}
    assert gateway_is_configured("paypal")


def test_the_voucher_gateway_is_never_charged():
    with pytest.raises(GatewayError, match="redeemed"):
        VoucherGateway().start_checkout(request("5", "USD"))
    assert VoucherGateway().fields == ("code", "currency")


class SecretGateway(BankTransferGateway):
    """A stand-in gateway that needs one secret (tests only)."""

    name = "paypal"
    secret_settings = ("PAYDESK_TEST_GATEWAY_SECRET",)
