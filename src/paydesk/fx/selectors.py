"""Reading exchange rates: the usable rate between two currencies, conversion, what can be offered.

A rate is usable on a day when it is dated that day or at most PAYDESK_FX_MAX_AGE_DAYS before.
Rates not stored directly are derived: the inverse of a stored rate (X→EUR = 1 / EUR→X) or a
cross rate through EUR (USD→GBP = EUR→GBP / EUR→USD). Derived rates are divided at 28 digits
and kept at 10 significant digits; converted amounts are rounded once, half-up, to the target
currency's minor unit. Never writes, never uses a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from paydesk.errors import RateUnavailable
from paydesk.fx.fields import plain_rate
from paydesk.fx.models import ExchangeRate
from paydesk.money import currency_exponent, normalize_currency, round_half_up, to_decimal

PIVOT = "EUR"
DIVISION_DIGITS = 28
RATE_SIGNIFICANT_DIGITS = 10

IDENTITY, DIRECT, INVERSE, CROSS = "identity", "direct", "inverse", "via EUR"


@dataclass(frozen=True, slots=True)
class Rate:
    """1 `base` = `rate` `quote`, as of `rate_date`, from `source`, found `derivation`."""

    base: str
    quote: str
    rate: Decimal
    rate_date: date
    source: str
    derivation: str


class Conversion(NamedTuple):
    """An amount converted to the target currency (rounded to its minor unit) and the rate used."""

    amount: Decimal
    rate: Rate


def fx_max_age_days() -> int:
    """How many days old a rate may be and still be used."""
    return max(0, int(settings.PAYDESK_FX_MAX_AGE_DAYS))


def _significant(value: Decimal) -> Decimal:
    return plain_rate(Context(prec=RATE_SIGNIFICANT_DIGITS, rounding=ROUND_HALF_UP).plus(value))


def _divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    with localcontext(Context(prec=DIVISION_DIGITS, rounding=ROUND_HALF_UP)):
        return numerator / denominator


@dataclass(frozen=True, slots=True)
class _Leg:
    rate: Decimal  # exact, or divided at 28 digits
    rate_date: date
    source: str
    derivation: str


def _newest_rates(codes: set[str], on: date) -> dict[tuple[str, str], tuple[Decimal, date, str]]:
    """The newest usable stored rate for each pair among `codes` (last written wins on a tie)."""
    rows = (
        ExchangeRate.objects.filter(
            base_currency__in=codes,
            quote_currency__in=codes,
            rate_date__range=(on - timedelta(days=fx_max_age_days()), on),
        )
        .order_by("-rate_date", "-updated_at", "-id")
        .values_list("base_currency", "quote_currency", "rate", "rate_date", "source")
    )
    newest: dict[tuple[str, str], tuple[Decimal, date, str]] = {}
    for base, quote, rate, rate_date, source in rows:
        newest.setdefault((base, quote), (rate, rate_date, source))
    return newest


def _leg(
    stored: dict[tuple[str, str], tuple[Decimal, date, str]], base: str, quote: str
) -> _Leg | None:
    """base→quote from a stored rate or the inverse of one; the newer wins, direct on a tie."""
    found = []
    if (base, quote) in stored:
        rate, rate_date, source = stored[(base, quote)]
        found.append(_Leg(rate, rate_date, source, DIRECT))
    if (quote, base) in stored:
        rate, rate_date, source = stored[(quote, base)]
        found.append(_Leg(_divide(Decimal(1), rate), rate_date, source, INVERSE))
    return max(found, key=lambda leg: leg.rate_date, default=None)


def _day(on: date | None) -> date:
    """`on` as a date; a moment counts as its date in the provider's time zone; None is today."""
    if on is None:
        return timezone.localdate()
    if isinstance(on, datetime):
        return timezone.localdate(on) if timezone.is_aware(on) else on.date()
    return on


def rate_for(*, base: str, quote: str, on: date | None = None) -> Rate | None:
    """The newest usable rate from `base` to `quote` on `on` (default today), or None."""
    base, quote = normalize_currency(base), normalize_currency(quote)
    day = _day(on)
    if base == quote:
        return Rate(base, quote, Decimal(1), day, IDENTITY, IDENTITY)
    stored = _newest_rates({base, quote, PIVOT}, day)
    candidates = []
    plain = _leg(stored, base, quote)
    if plain is not None:
        candidates.append(plain)
    if PIVOT not in (base, quote):
        to_base, to_quote = _leg(stored, PIVOT, base), _leg(stored, PIVOT, quote)
        if to_base is not None and to_quote is not None:
            sources = dict.fromkeys([to_base.source, to_quote.source])
            candidates.append(
                _Leg(
                    _divide(to_quote.rate, to_base.rate),
                    min(to_base.rate_date, to_quote.rate_date),
                    ", ".join(sources),
                    CROSS,
                )
            )
    # The newest wins; on a tie a stored pair (or its inverse) beats a cross rate.
    best = max(candidates, key=lambda leg: leg.rate_date, default=None)
    if best is None:
        return None
    rate = best.rate if best.derivation == DIRECT else _significant(best.rate)
    return Rate(base, quote, rate, best.rate_date, best.source, best.derivation)


def convert(
    *, amount: Decimal | str | int, from_currency: str, to_currency: str, on: date | None = None
) -> Conversion:
    """`amount` of `from_currency` in `to_currency`, rounded half-up to its minor unit.

    RateUnavailable when no usable rate exists.
    """
    value = to_decimal(amount)
    source, target = normalize_currency(from_currency), normalize_currency(to_currency)
    rate = rate_for(base=source, quote=target, on=on)
    if rate is None:
        raise RateUnavailable(
            f"No exchange rate from {source} to {target} is recent enough "
            f"(at most {fx_max_age_days()} days old).",
            field="currency",
        )
    with localcontext(Context(prec=50)):
        exact = value * rate.rate
    return Conversion(round_half_up(exact, currency_exponent(target)), rate)


def rate_list(
    *,
    currency: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[ExchangeRate]:
    """Stored rates, newest first, optionally those involving `currency` and within dates."""
    rates = ExchangeRate.objects.select_related("created_by").order_by(
        "-rate_date", "base_currency", "quote_currency", "-updated_at"
    )
    if currency:
        code = normalize_currency(currency)
        rates = rates.filter(Q(base_currency=code) | Q(quote_currency=code))
    if date_from:
        rates = rates.filter(rate_date__gte=date_from)
    if date_to:
        rates = rates.filter(rate_date__lte=date_to)
    return rates
