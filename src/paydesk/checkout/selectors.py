"""Reads for Make Payment: which methods a customer may use, in which currencies.

A method is offered only when it has a gateway (settings.PAYDESK_GATEWAYS) with every secret
set, its MethodConfig is enabled, it is not blocked for the customer (vouchers also need the
customer's "allow vouchers" flag), and it accepts at least one currency the customer may pay in
that can be converted to the account currency today. While Finance has paused a customer's
online methods (a dispute is open: `Customer.online_methods_paused`), the online gateways are not
offered and a Pay with one is refused with a message that says so; bank transfer and vouchers
stay. Never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django.urls import reverse

from paydesk.accounts.models import Contact, Customer, PaymentMethod, PortalDefaults
from paydesk.banktransfers.models import BankDetails
from paydesk.checkout.credentials import method_mode
from paydesk.checkout.models import GatewayMode, MethodConfig, Quote
from paydesk.errors import MethodUnavailable
from paydesk.fastsql import first_row, first_rows
from paydesk.fx.selectors import rate_for
from paydesk.gateways.credentials import BY_METHOD
from paydesk.gateways.registry import gateway_for, gateway_is_configured, gateway_methods
from paydesk.money import plain_amount

# The methods Finance's "Pause online payment methods" switch takes away.
ONLINE_METHODS = frozenset(
    {
        PaymentMethod.CARD,
        PaymentMethod.SEPA_DEBIT,
        PaymentMethod.PAYPAL,
        PaymentMethod.RAZORPAY,
        PaymentMethod.PAYSTACK,
        PaymentMethod.NOWPAYMENTS,
    }
)
PAUSED_MESSAGE = (
    "Online payment methods are paused for this account: pay by bank transfer or voucher, or "
    "contact us."
)


@dataclass(frozen=True, slots=True)
class AvailableMethod:
    """A method this customer may use now: its fields and the currencies it may be paid in."""

    method: str
    display_name: str
    fields: tuple[str, ...]
    currencies: tuple[str, ...]
    config: MethodConfig

    @property
    def takes_amount(self) -> bool:
        return "amount" in self.fields

    @property
    def test_mode(self) -> bool:
        """An online method using its gateway's test credentials: customers see a badge."""
        entry = BY_METHOD.get(self.method)
        if entry is None or self.method not in ONLINE_METHODS:
            return False
        if entry.method == self.method:
            return self.config.mode == GatewayMode.TEST
        return method_mode(entry.method) == GatewayMode.TEST  # SEPA: the card method's mode


def method_in_test_mode(method: str) -> bool:
    """Whether `method`'s gateway uses its test set now (the mode of the method that picks it)."""
    entry = BY_METHOD.get(method)
    return (
        entry is not None
        and method in ONLINE_METHODS
        and method_mode(entry.method) == GatewayMode.TEST
    )


def test_mode_set(payments: list[Any]) -> None:
    """Mark each payment made through a method in test mode (`payment.test_mode`): one query."""
    ids = [p.pk for p in payments]
    flagged = (
        set(
            Quote.objects.filter(payment_id__in=ids, test_mode=True).values_list(
                "payment_id", flat=True
            )
        )
        if ids
        else set()
    )
    for payment in payments:
        payment.test_mode = payment.pk in flagged


def checkout_page_closed(quote: Quote | None) -> bool:
    """The gateway gave a page for this checkout and it has closed with its quote
    (`Quote.open_at_gateway`): it can no longer be paid there. The status page and the
    Payments page's *Unfinished* box then offer a new payment instead of the gateway."""
    return quote is not None and bool(quote.gateway_url) and not quote.open_at_gateway


def checkout_quotes_for(payments: list[Any]) -> dict[int, Quote]:
    """Each of `payments`' quote by payment id (a payment without one is left out): one query."""
    ids = [p.pk for p in payments]
    if not ids:
        return {}
    quotes = Quote.objects.filter(payment_id__in=ids).only(
        "payment_id", "gateway_url", "expires_at", "amount", "currency"
    )
    return {quote.payment_id: quote for quote in quotes if quote.payment_id is not None}


def new_payment_url(payment: Any, quote: Quote | None) -> str:
    """Make Payment filled in again with `payment`'s method, and its quote's amount and
    currency: the way on after a decline, a cancel, or a gateway page that closed."""
    query = {"method": payment.method}
    if quote is not None:
        query.update(amount=plain_amount(quote.amount, quote.currency), currency=quote.currency)
    return reverse("checkout:make_payment") + "?" + urlencode(query)


def _needs_amounts_rate(config: MethodConfig) -> bool:
    return bool(config.surcharge_fixed or config.minimum_amount or config.maximum_amount)


def _currencies(*, customer: Customer, config: MethodConfig, on: date | None) -> tuple[str, ...]:
    if config.method == PaymentMethod.VOUCHER:
        # A voucher redeems only in the account currency (paydesk.vouchers).
        candidates = [customer.currency]
    else:
        candidates = customer.effective_topup_currencies()
    accepted = {code.upper() for code in config.currencies or []}
    supported = gateway_for(config.method).supported_currencies()
    usable = []
    for code in dict.fromkeys(candidates):
        if accepted and code not in accepted:
            continue
        if supported is not None and code not in supported:
            continue
        if config.method != PaymentMethod.VOUCHER:
            if rate_for(base=code, quote=customer.currency, on=on) is None:
                continue
            if _needs_amounts_rate(config) and (
                rate_for(base=config.amounts_currency, quote=code, on=on) is None
            ):
                continue
        usable.append(code)
    return tuple(usable)


def _available(
    *,
    customer: Customer,
    method: str,
    config: MethodConfig | None,
    defaults: PortalDefaults,
    blocked: set[str],
    on: date | None,
) -> AvailableMethod | None:
    if config is None or method in blocked or not gateway_is_configured(method):
        return None
    if customer.online_methods_paused and method in ONLINE_METHODS:
        return None
    if method == PaymentMethod.VOUCHER and not customer.flag("allow_vouchers", defaults):
        return None
    currencies = _currencies(customer=customer, config=config, on=on)
    if not currencies:
        return None
    return AvailableMethod(
        method=method,
        display_name=config.display_name,
        fields=gateway_for(method).fields,
        currencies=currencies,
        config=config,
    )


def methods_available_for(*, customer: Customer, on: date | None = None) -> list[AvailableMethod]:
    """The Pay via methods this customer may use today, in the order the gateways are listed."""
    defaults = PortalDefaults.current()
    blocked = set(customer.effective_blocked_methods(defaults))
    configs = {
        c.method: c for c in MethodConfig.objects.filter(enabled=True, method__in=gateway_methods())
    }
    found = (
        _available(
            customer=customer,
            method=method,
            config=configs.get(method),
            defaults=defaults,
            blocked=blocked,
            on=on,
        )
        for method in gateway_methods()
    )
    return [available for available in found if available is not None]


# A method's MethodConfig when it is enabled (`first_row` of it; in `pay_reads` too).
ENABLED_METHOD = "enabled = %s AND method = %s"
# Passed for `config` when the caller has not read the method's MethodConfig.
NOT_READ: Any = object()


def method_available_for(
    *,
    customer: Customer,
    method: str,
    on: date | None = None,
    defaults: PortalDefaults | None = None,
    config: MethodConfig | None = NOT_READ,
) -> AvailableMethod:
    """The method if this customer may use it today, else MethodUnavailable (field `method`).
    Looks at that one method only (every Pay asks this); `defaults`: the portal defaults, and
    `config`: the method's enabled MethodConfig (None: it has none), when the caller has read
    them already (`pay_reads`)."""
    available = None
    if method in gateway_methods():
        defaults = defaults or PortalDefaults.current()
        if config is NOT_READ:
            config = first_row(MethodConfig, ENABLED_METHOD, [True, method])
        available = _available(
            customer=customer,
            method=method,
            config=config,
            defaults=defaults,
            blocked=set(customer.effective_blocked_methods(defaults)),
            on=on,
        )
    if available is None and customer.online_methods_paused and method in ONLINE_METHODS:
        raise MethodUnavailable(PAUSED_MESSAGE, field="method")
    if available is None:
        raise MethodUnavailable("Choose one of the payment methods offered.", field="method")
    return available


# The checkout already started with a key (its quote holds its payment): asked before every Pay.
STARTED = "customer_id = %s AND idempotency_key = %s AND payment_id IS NOT NULL"


@dataclass(frozen=True, slots=True)
class PayReads:
    """What a Pay reads before it writes: the portal defaults, the method's enabled
    MethodConfig (None: it has none), the quote of the checkout already started with this key
    (None: a new one), and for a bank transfer the provider's bank details (None: not entered,
    or another method) and the customer's contact addresses, whom its instructions are emailed
    to (`Contact.emails_of`; None: another method)."""

    defaults: PortalDefaults
    config: MethodConfig | None
    started: Quote | None
    bank_details: BankDetails | None
    contacts: list[str] | None = None


def pay_reads(*, customer: Customer, method: str, key: str) -> PayReads:
    """`PayReads` in one statement (bench P5: one round trip instead of five): each row as
    `PortalDefaults.current()`, `method_available_for`, checkout_start's replay check,
    `bank_details_current()` and `Contact.emails_of` read it, all in one snapshot."""
    reads: tuple[tuple[Any, str], ...] = (
        (PortalDefaults, ""),
        (MethodConfig, ENABLED_METHOD),
        (Quote, STARTED),
    )
    params: list[Any] = [True, method, customer.pk, key]
    if method != PaymentMethod.BANK_TRANSFER:
        defaults, config, started = first_rows(reads, params)
        details, contacts = None, None
    else:
        defaults, config, started, details, contacts = first_rows(
            (*reads, (BankDetails, "")),
            [*params, customer.pk],
            lists=((Contact, *Contact.EMAILS_OF),),
        )
    return PayReads(
        defaults=cast(PortalDefaults | None, defaults) or PortalDefaults(),  # as current()
        config=cast(MethodConfig | None, config),
        started=cast(Quote | None, started),
        bank_details=cast(BankDetails | None, details),
        contacts=contacts,
    )
