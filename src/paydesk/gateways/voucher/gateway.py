"""The voucher "gateway": describes the Voucher method (its fields and currencies) for Make
Payment. Nothing is charged, so there is no checkout: a voucher is redeemed at once by
paydesk.vouchers.services.voucher_redeem, which the checkout view calls. Never saves anything.
"""

from __future__ import annotations

from paydesk.errors import GatewayError
from paydesk.gateways.base import CheckoutRequest, CheckoutResult


class VoucherGateway:
    """Voucher code + currency; redeemed, never charged."""

    name = "voucher"
    display_name = "Voucher"
    needs_browser = False
    fields = ("code", "currency")
    secret_settings: tuple[str, ...] = ()

    def supported_currencies(self) -> frozenset[str] | None:
        return None  # a voucher redeems in the customer's account currency (the checkout decides)

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        raise GatewayError(
            "A voucher is redeemed, not charged: use paydesk.vouchers.services.voucher_redeem."
        )
