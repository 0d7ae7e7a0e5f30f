"""Stand-in gateways for the online methods, so a test can start a real checkout (quote locked,
pending payment created by paydesk.checkout.services) before the real clients exist. They only
answer "pending, go to the gateway"; the webhooks under test do the rest."""

from __future__ import annotations

from paydesk.gateways.base import CheckoutRequest, CheckoutResult, Outcome


class _RedirectingGateway:
    name = ""
    display_name = ""
    needs_browser = True
    fields = ("amount", "currency")
    secret_settings: tuple[str, ...] = ()

    def supported_currencies(self) -> frozenset[str] | None:
        return None

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        return CheckoutResult(
            outcome=Outcome.PENDING,
            redirect_url=f"https://gateway.invalid/{self.name}/{request.payment_reference}",
        )


class CardGateway(_RedirectingGateway):
    name, display_name = "card", "Credit Card"


class PayPalGateway(_RedirectingGateway):
    name, display_name = "paypal", "PayPal"


class RazorpayGateway(_RedirectingGateway):
    name, display_name = "razorpay", "Razor Pay"

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """As the real one: the order Razorpay's server made is the payment's gateway reference
        (Razorpay's payment events bind through it; tests/gateways/senders.py names it)."""
        return CheckoutResult(
            outcome=Outcome.PENDING,
            gateway_reference=f"order_{request.payment_reference}",
            redirect_url=f"https://gateway.invalid/razorpay/{request.payment_reference}",
        )


class PaystackGateway(_RedirectingGateway):
    name, display_name = "paystack", "Pay Stack"


class NowPaymentsGateway(_RedirectingGateway):
    name, display_name = "nowpayments", "Now Payments"


FAKES = {
    "card": "tests.gateways.fakes.CardGateway",
    "paypal": "tests.gateways.fakes.PayPalGateway",
    "razorpay": "tests.gateways.fakes.RazorpayGateway",
    "paystack": "tests.gateways.fakes.PaystackGateway",
    "nowpayments": "tests.gateways.fakes.NowPaymentsGateway",
}
