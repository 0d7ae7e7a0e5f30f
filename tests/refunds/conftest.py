"""Refund fixtures: a customer who paid 50.00 by card through a gateway that can refund (a
stand-in of the gateway registered in settings, answering as a gateway's server would)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.gateways.base import Outcome, RefundEvent, RefundRequest
from paydesk.ledger.services import PaidDetails, payment_create
from tests.factories import CustomerFactory, StaffFactory


class RefundingCard:
    """A card gateway's refund API as its server answers: each request gets a refund id (the
    same one for a repeated idempotency key), answered `answer` (COMPLETED by default)."""

    name, display_name, needs_browser = "card", "Credit Card", True
    fields = ("amount", "currency")
    secret_settings: tuple[str, ...] = ()
    answer = Outcome.COMPLETED
    unavailable = False
    requests: list[RefundRequest] = []

    def supported_currencies(self):
        return None

    def start_checkout(self, request):  # pragma: no cover - not used by these tests
        raise NotImplementedError

    def confirm_return(self, **kwargs):  # pragma: no cover
        return None

    def fetch_status(self, **kwargs):  # pragma: no cover
        raise NotImplementedError

    def refund(self, request: RefundRequest) -> RefundEvent:
        from paydesk.errors import GatewayUnavailable

        type(self).requests.append(request)
        if type(self).unavailable:
            raise GatewayUnavailable("timed out")
        keys = [r.idempotency_key for r in type(self).requests]
        refund_id = f"re_{keys.index(request.idempotency_key) + 1:04d}"
        return RefundEvent(
            gateway="card",
            event_id=f"refund:{refund_id}:{type(self).answer}",
            refund_id=refund_id,
            outcome=type(self).answer,
            amount=request.amount,
            transaction_id=request.transaction_id,
            refund_reference=request.refund_reference,
            reason="insufficient funds in the merchant balance"
            if type(self).answer is Outcome.CANCELLED
            else "",
        )


@pytest.fixture
def card_gateway(settings):
    RefundingCard.requests = []
    RefundingCard.answer = Outcome.COMPLETED
    RefundingCard.unavailable = False
    settings.PAYDESK_GATEWAYS = {
        **settings.PAYDESK_GATEWAYS,
        "card": "tests.refunds.conftest.RefundingCard",
    }
    from paydesk.gateways.registry import _load

    _load.cache_clear()
    yield RefundingCard
    _load.cache_clear()


@pytest.fixture
def finance(db):
    return StaffFactory(staff_role="finance")


def card_payment(customer=None, *, total="50.00", paid: PaidDetails | None = None, n: int = 1):
    """A completed card top-up, as gateway_event_apply leaves one (gateway ids set)."""
    customer = customer or CustomerFactory()
    return payment_create(
        customer=customer,
        total=Decimal(total),
        description="Credit Card top-up",
        method="card",
        gateway="card",
        gateway_reference=f"pi_{customer.pk}_{n}",
        gateway_transaction=f"pi_{customer.pk}_{n}",
        paid=paid,
    )
