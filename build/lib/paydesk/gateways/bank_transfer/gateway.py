"""The bank-transfer gateway: no outside service. A checkout stays pending until the money
arrives; the payment's own reference (with its check character) is the bank reference the
customer quotes. Never saves anything and never talks to a bank.
"""

from __future__ import annotations

from paydesk.gateways.base import CheckoutRequest, CheckoutResult, Outcome


class BankTransferGateway:
    """Pending until staff (or a bank feed) confirm the money arrived; shows the bank details."""

    name = "bank_transfer"
    display_name = "Bank Transfer"
    needs_browser = False
    fields = ("amount", "currency")
    secret_settings: tuple[str, ...] = ()

    def supported_currencies(self) -> frozenset[str] | None:
        return None  # a bank account can be sent any currency; MethodConfig narrows it

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        return CheckoutResult(outcome=Outcome.PENDING, gateway_reference=request.payment_reference)
