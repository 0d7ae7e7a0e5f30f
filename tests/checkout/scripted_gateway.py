"""A stand-in for an online gateway (an outside system) whose answers a test scripts, so the
checkout, return, status and reconciliation paths of paydesk.checkout are proven on their own.
The real clients are proven against the sandbox in tests/online/."""

from __future__ import annotations

from collections.abc import Mapping

from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.base import CheckoutRequest, CheckoutResult, GatewayEvent, Outcome
from paydesk.money import Money

# What the gateway does next: set by the test (tests/checkout/test_online_flow.py).
SCRIPT: dict[str, str] = {"start": "redirect", "status": "pending"}
CALLS: list[tuple[str, str]] = []
CHARGED: dict[str, Money] = {}


class ScriptedGateway:
    name = "paypal"
    display_name = "PayPal"
    needs_browser = True
    fields = ("amount", "currency")
    secret_settings: tuple[str, ...] = ()

    def supported_currencies(self) -> frozenset[str] | None:
        return None

    def _event(self, reference: str, status: str, kind: str) -> GatewayEvent | None:
        amount = CHARGED.get(reference)
        if status == "unavailable":
            raise GatewayUnavailable("PayPal did not answer within 2 s.")
        if status == "unknown":
            raise GatewayError("PayPal has no such order.")
        if status == "nothing":
            return None
        outcome = {
            "completed": Outcome.COMPLETED,
            "cancelled": Outcome.CANCELLED,
            "declined": Outcome.CANCELLED,
        }.get(status, Outcome.PENDING)
        return GatewayEvent(
            gateway=self.name,
            event_id=f"{kind}:ORDER-{reference}:{status}",
            outcome=outcome,
            payment_reference=reference,
            amount=amount if outcome is Outcome.COMPLETED else None,
            reason="The card was declined." if status == "declined" else "",
            in_flight=status == "in_flight",
        )

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        CALLS.append(("start", request.payment_reference))
        CHARGED[request.payment_reference] = request.amount
        step = SCRIPT["start"]
        if step == "unavailable":
            raise GatewayUnavailable("PayPal answered HTTP 500.")
        if step == "refused":
            raise GatewayError("The currency is not enabled for this account.")
        if step in ("completed", "declined"):
            event = self._event(request.payment_reference, step, "checkout")
            assert event is not None
            return CheckoutResult(
                outcome=event.outcome,
                gateway_reference=f"ORDER-{request.payment_reference}",
                event=event,
            )
        return CheckoutResult(
            outcome=Outcome.PENDING,
            gateway_reference=f"ORDER-{request.payment_reference}",
            redirect_url=f"https://gateway.invalid/approve/{request.payment_reference}",
        )

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        CALLS.append(("return", payment_reference))
        return self._event(payment_reference, SCRIPT["status"], "return")

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        CALLS.append(("status", payment_reference))
        event = self._event(payment_reference, SCRIPT["status"], "query")
        assert event is not None
        return event
