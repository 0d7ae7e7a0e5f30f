"""Quotes: what paying an amount by a method charges and credits today (every rule checked),
and the quote a customer locks by pressing Pay.

Decisions (docs/checkout.md):
- The surcharge is what the customer pays the provider for using the method: it is charged on top
  of the amount and never credited. Credit = amount converted to the account currency.
- The customer's minimum payment (account currency, inclusive) applies to that credit; a method's
  minimum and maximum (its `amounts_currency`) apply to the amount paid, before the surcharge.
- A locked quote's credit is honoured whatever the rate does later, as long as the gateway
  confirms the quoted total and currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Context, Decimal, localcontext
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from paydesk.accounts.models import Customer, PortalDefaults
from paydesk.checkout.models import (
    MethodConfig,
    Quote,
)
from paydesk.checkout.selectors import (
    NOT_READ,
    AvailableMethod,
    method_available_for,
    method_in_test_mode,
)
from paydesk.errors import (
    InvalidAmount,
    InvalidCurrency,
    MethodUnavailable,
    RateUnavailable,
)
from paydesk.fastsql import row_insert
from paydesk.fx.fields import rate_short
from paydesk.fx.selectors import Rate, rate_for
from paydesk.gateways.registry import gateway_for
from paydesk.money import (
    Money,
    currency_exponent,
    decimal_places,
    format_money,
    normalize_currency,
    plain_amount,
    round_half_up,
    to_decimal,
)


@dataclass(frozen=True, slots=True)
class QuoteTerms:
    """A quote before it is locked: what is charged (in `currency`) and credited (account)."""

    method: str
    amount: Decimal
    currency: str
    surcharge: Decimal
    total_charged: Decimal
    credit: Decimal
    account_currency: str
    rate: Rate
    # What an armed bonus voucher adds when this top-up completes (a separate payment; never
    # charged), and that voucher's hint. Make Payment fills them in (vouchers.bonus).
    bonus: Decimal | None = None
    bonus_hint: str = ""

    def as_json(self) -> dict[str, Any]:
        """Money as plain strings and as display text; never a float."""
        return {
            "method": self.method,
            "currency": self.currency,
            "account_currency": self.account_currency,
            "amount": plain_amount(self.amount, self.currency),
            "surcharge": plain_amount(self.surcharge, self.currency),
            "total_charged": plain_amount(self.total_charged, self.currency),
            "credit": plain_amount(self.credit, self.account_currency),
            "fx_rate": str(self.rate.rate),
            "rate_date": self.rate.rate_date.isoformat(),
            "bonus": plain_amount(self.bonus, self.account_currency) if self.bonus else "",
            "display": {
                "amount": format_money(self.amount, self.currency),
                "surcharge": format_money(self.surcharge, self.currency),
                "total_charged": format_money(self.total_charged, self.currency),
                "credit": format_money(self.credit, self.account_currency),
                "fx_rate": self.rate_text,
                "bonus": self.bonus_text,
                "balance_rise": (
                    format_money(self.credit + self.bonus, self.account_currency)
                    if self.bonus
                    else ""
                ),
            },
        }

    @property
    def bonus_text(self) -> str:
        if not self.bonus:
            return ""
        return _("%(amount)s, a separate payment (voucher %(hint)s)") % {
            "amount": format_money(self.bonus, self.account_currency),
            "hint": self.bonus_hint,
        }

    @property
    def rate_text(self) -> str:
        """`1 EUR = 1.08452 USD (ECB, 2025-01-10)` (six significant digits: the exact rate is in
        the JSON's `fx_rate`); nothing when no conversion happens."""
        if self.currency == self.account_currency:
            return ""
        return (
            f"1 {self.currency} = {rate_short(self.rate.rate)} {self.account_currency} "
            f"({self.rate.source}, {self.rate.rate_date.isoformat()})"
        )


def multiply_exact(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(Context(prec=50)):
        return a * b


def _checked_amount(value: object, currency: str) -> Decimal:
    amount = to_decimal(value, field="amount")
    if amount <= 0:
        raise InvalidAmount("Enter an amount above zero.", field="amount")
    places = currency_exponent(currency)
    if decimal_places(amount) > places:
        allowed = "no decimal places" if places == 0 else f"at most {places} decimal places"
        raise InvalidAmount(f"{currency} amounts have {allowed}.", field="amount")
    return amount


def _checked_currency(
    *, customer: Customer, value: object, method: AvailableMethod, on: date | None
) -> str:
    code = normalize_currency(str(value or ""))
    if code in method.currencies:
        return code
    allowed_by_customer = code in customer.effective_topup_currencies()
    accepted = {c.upper() for c in method.config.currencies or []}
    if allowed_by_customer and (not accepted or code in accepted):
        if rate_for(base=code, quote=customer.currency, on=on) is None:
            raise RateUnavailable(
                f"{code} cannot be used today: there is no current exchange rate to "
                f"{customer.currency}.",
                field="currency",
            )
    raise InvalidCurrency(
        f"{method.display_name} cannot be paid in {code} on this account. "
        f"Choose {', '.join(method.currencies)}.",
        field="currency",
    )


def _amounts_rate(config: MethodConfig, currency: str, on: date | None) -> Decimal:
    """How many `currency` one unit of the method's amounts_currency is worth today."""
    if config.amounts_currency == currency:
        return Decimal(1)
    rate = rate_for(base=config.amounts_currency, quote=currency, on=on)
    if rate is None:
        raise RateUnavailable(
            f"{currency} cannot be used today: there is no current exchange rate from "
            f"{config.amounts_currency}.",
            field="currency",
        )
    return rate.rate


def _smallest_paid_for(customer: Customer, rate: Decimal, exponent: int) -> Decimal:
    """The smallest amount in the paid currency (`exponent` decimals) whose credit at `rate`,
    rounded half up as quote_build rounds it, reaches the customer's minimum payment: told
    with the minimum, so a payer in another currency knows what to type."""
    half_unit = Decimal(1).scaleb(-currency_exponent(customer.currency)) / 2
    with localcontext(Context(prec=50)):
        needed = (customer.minimum_payment - half_unit) / rate
    return needed.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_CEILING)


def quote_build(
    *,
    customer: Customer,
    method: str,
    amount: object,
    currency: object,
    on: date | None = None,
    defaults: PortalDefaults | None = None,
    config: MethodConfig | None = NOT_READ,
) -> QuoteTerms:
    """What paying `amount` `currency` by `method` charges and credits today; validates every rule.

    Raises a PaydeskError whose `field` is method, amount or currency. Writes nothing.
    `defaults` and `config`: the portal defaults and the method's enabled MethodConfig, when
    the caller has read them already (method_available_for).
    """
    available = method_available_for(
        customer=customer, method=method, on=on, defaults=defaults, config=config
    )
    if not available.takes_amount:
        raise MethodUnavailable(f"{available.display_name} takes no amount.", field="method")
    code = _checked_currency(customer=customer, value=currency, method=available, on=on)
    paid = _checked_amount(amount, code)
    exponent = currency_exponent(code)
    rate = rate_for(base=code, quote=customer.currency, on=on)
    if rate is None:  # _checked_currency saw one a moment ago; a rate may be edited meanwhile
        raise RateUnavailable(f"{code} cannot be used today.", field="currency")
    credit = round_half_up(multiply_exact(paid, rate.rate), currency_exponent(customer.currency))
    if credit <= 0:
        raise InvalidAmount("That amount is too small to credit anything.", field="amount")
    if credit < customer.minimum_payment:
        minimum = format_money(customer.minimum_payment, customer.currency)
        if code == customer.currency:
            raise InvalidAmount(f"Your minimum payment is {minimum}.", field="amount")
        smallest_paid = _smallest_paid_for(customer, rate.rate, exponent)
        raise InvalidAmount(
            f"Your minimum payment is {minimum}: at least "
            f"{format_money(smallest_paid, code)} at today's rate.",
            field="amount",
        )
    config = available.config
    factor = (
        _amounts_rate(config, code, on)
        if (config.surcharge_fixed or config.minimum_amount or config.maximum_amount)
        else Decimal(1)
    )
    if config.minimum_amount:
        smallest = round_half_up(multiply_exact(config.minimum_amount, factor), exponent)
        if paid < smallest:
            raise InvalidAmount(
                f"The smallest {available.display_name} payment is {format_money(smallest, code)}.",
                field="amount",
            )
    if config.maximum_amount:
        largest = round_half_up(multiply_exact(config.maximum_amount, factor), exponent)
        if paid > largest:
            raise InvalidAmount(
                f"The largest {available.display_name} payment is {format_money(largest, code)}.",
                field="amount",
            )
    with localcontext(Context(prec=50)):
        exact_surcharge = config.surcharge_fixed * factor + paid * config.surcharge_percent / 100
    surcharge = round_half_up(exact_surcharge, exponent)  # rounded once, to the minor unit
    # The gateway's own amount rules (PayPal: whole HUF; Razorpay, Stripe: KWD in tens of
    # fils…), said next to the amount now rather than as a refusal after Pay.
    refusal = getattr(gateway_for(method), "amount_refusal", None)
    problem = refusal(Money(paid + surcharge, code)) if refusal is not None else ""
    if problem:
        raise InvalidAmount(problem, field="amount")
    return QuoteTerms(
        method=method,
        amount=paid,
        currency=code,
        surcharge=surcharge,
        total_charged=paid + surcharge,
        credit=credit,
        account_currency=customer.currency,
        rate=rate,
    )


def quote_lock(
    *,
    terms: QuoteTerms,
    customer: Customer,
    user: Any,
    idempotency_key: str,
    now: datetime | None = None,
) -> Quote:
    """Store the quote the customer accepted by pressing Pay; it holds PAYDESK_QUOTE_MINUTES.

    IntegrityError when this customer already locked a quote with that key (a resubmission).
    """
    return row_insert(
        quote_new(
            terms=terms, customer=customer, user=user, idempotency_key=idempotency_key, now=now
        )
    )


def quote_new(
    *,
    terms: QuoteTerms,
    customer: Customer,
    user: Any,
    idempotency_key: str,
    now: datetime | None = None,
) -> Quote:
    """`quote_lock`'s quote, not stored yet: stored with its payment by `quote_payment_create`
    (one INSERT instead of an INSERT and an UPDATE)."""
    now = now or timezone.now()
    return Quote(
        customer=customer,
        created_by=user if getattr(user, "pk", None) else None,
        method=terms.method,
        idempotency_key=idempotency_key,
        amount=terms.amount,
        currency=terms.currency,
        surcharge=terms.surcharge,
        total_charged=terms.total_charged,
        credit=terms.credit,
        account_currency=terms.account_currency,
        fx_rate=str(terms.rate.rate),
        rate_date=terms.rate.rate_date,
        rate_source=terms.rate.source,
        created_at=now,
        locked_at=now,
        expires_at=now + timedelta(minutes=settings.PAYDESK_QUOTE_MINUTES),
        test_mode=method_in_test_mode(terms.method),
    )
