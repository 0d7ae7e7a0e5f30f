"""Paydesk's error tree. Each error says in one line when it is raised.

Every error carries a stable `code` (for the API and the CLI) and, where one field is to blame,
the `field` name, so that a form can show the message next to it.
"""

from __future__ import annotations

from datetime import timedelta


class PaydeskError(Exception):
    """Base of every error Paydesk raises on purpose."""

    code = "paydesk_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidAmount(PaydeskError):
    """An amount is not an exact decimal, has too many decimals, or is out of range."""

    code = "invalid_amount"


class InvalidCurrency(PaydeskError):
    """A currency code is not ISO 4217, or differs from the one the operation needs."""

    code = "invalid_currency"


class PaymentError(PaydeskError):
    """A payment cannot be created or changed as asked."""

    code = "payment_error"


class InvalidTransition(PaymentError):
    """A payment's status would move backwards or out of a final state."""

    code = "invalid_transition"


class InsufficientCredit(PaymentError):
    """A purchase would take the customer's available credit below zero."""

    code = "insufficient_credit"


class RefundRefused(PaymentError):
    """A refund is larger than what is left to refund, or its payment cannot be refunded."""

    code = "refund_refused"


class CustomerError(PaydeskError):
    """A customer cannot be created or changed as asked (say, its currency)."""

    code = "customer_error"


class BillingProfileError(CustomerError):
    """A billing profile field is refused: an unknown country, a bad contact email, too long."""

    code = "invalid_billing_profile"


class AutoTopupError(CustomerError):
    """Automatic top-up's settings are refused: no consent, consent to other terms, a wait
    between top-ups not offered, a method that cannot pay the account's currency."""

    code = "invalid_autotopup"


class InvalidTaxId(BillingProfileError):
    """A tax / VAT id fails its country's format or check digits (checked offline)."""

    code = "invalid_tax_id"


class ChangedSinceRead(PaydeskError):
    """A save based on a read older than a colleague's change (a customer edited by two people
    at once): nothing is saved; read again and save (the API's 412)."""

    code = "changed_since_read"


class PermissionDenied(PaydeskError):
    """The acting user's role does not allow this action."""

    code = "permission_denied"


class ExchangeRateError(PaydeskError):
    """An exchange rate cannot be stored, imported or found as asked."""

    code = "exchange_rate_error"


class InvalidRate(ExchangeRateError):
    """A rate is not a positive exact decimal, has too many decimals, or has a bad date."""

    code = "invalid_rate"


class InvalidRateFile(ExchangeRateError):
    """A reference-rate file is not the ECB's eurofxref XML, or holds a bad rate or date."""

    code = "invalid_rate_file"


class RateUnavailable(ExchangeRateError):
    """No rate recent enough exists to convert between two currencies."""

    code = "rate_unavailable"


class RateLimited(PaydeskError):
    """Too many failed attempts from this user, customer or IP address; try again later (429)."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class VoucherError(PaydeskError):
    """A voucher or a batch cannot be issued or changed as asked (staff-facing)."""

    code = "voucher_error"


class VoucherRejected(VoucherError):
    """A code cannot be redeemed; one message for every reason, so guessing learns nothing."""

    code = "voucher_rejected"


class VoucherBatchApprovalRefused(VoucherError):
    """An approval of a voucher batch breaks the four-eyes rule: the issuer approving it."""

    code = "approval_refused"


class AmountMismatch(PaymentError):
    """A gateway reports an amount or currency other than the one the locked quote charged."""

    code = "amount_mismatch"


class MethodUnavailable(PaymentError):
    """A payment method is disabled, not configured, or blocked for this customer."""

    code = "method_unavailable"


class CardDetailsMissing(PaymentError):
    """A card payment arrived without the payment-method id the processor's card fields make."""

    code = "card_details_missing"


class GatewayError(PaydeskError):
    """A payment gateway refused, failed or answered something Paydesk cannot use."""

    code = "gateway_error"


class GatewayUnavailable(GatewayError):
    """A gateway timed out, answered 5xx or answered something unreadable: try again later."""

    code = "gateway_unavailable"


class GatewayNotFound(GatewayError):
    """A gateway's search found nothing for our reference — which proves nothing until its index
    has caught up (Stripe's Search API can lag): only a payment at least `settles_after` old
    counts as unknown to the gateway; a younger one is asked again."""

    code = "gateway_not_found"

    def __init__(self, message: str, *, settles_after: timedelta) -> None:
        super().__init__(message)
        self.settles_after = settles_after


class GatewayNothingDone(GatewayUnavailable):
    """A gateway did not do the request, for certain, and nothing was written here: the same
    request may simply be sent again in a minute (`retry_after`, seconds: what its messages tell
    the customer)."""

    retry_after = 60


class GatewayRateLimited(GatewayNothingDone):
    """A gateway refused to take the request for now (HTTP 429): it did nothing; try again in a
    minute."""


class EventTooEarly(GatewayError):
    """A gateway's refund or dispute event arrived before the payment it concerns was completed
    (webhooks arrive out of order): nothing was kept, so the gateway's retry is applied once the
    payment is completed."""

    code = "retry_later"


class GatewayDeclined(GatewayError):
    """A gateway refused the charge for good (a declined card, a refused order)."""

    code = "gateway_declined"


class WebhookSignatureInvalid(GatewayError):
    """A gateway notification's signature is missing, malformed, stale or does not match."""

    code = "bad_signature"


class GatewayNotConfigured(GatewayError):
    """No gateway is registered for a method, or one of its secrets is missing."""

    code = "gateway_not_configured"


class NotFound(PaydeskError):
    """The thing named does not exist for this customer (another customer's is the same: 404)."""

    code = "not_found"
