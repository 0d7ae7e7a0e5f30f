"""Writes to the exchange-rate table: Finance's own rates and the ECB import.

Nothing else writes ExchangeRate rows. A manual rate is set only by Finance or an Administrator
and every change is audited; an import stores a whole file or nothing. Never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.audit.services import audit_record
from paydesk.errors import ExchangeRateError, InvalidRate, PermissionDenied
from paydesk.fx.ecb import DailyRates, eurofxref_parse
from paydesk.fx.fields import to_rate
from paydesk.fx.models import ECB_SOURCE, ExchangeRate
from paydesk.money import normalize_currency

# The ECB dates its rates in Frankfurt; a rate dated "today" there is not in the future here.
ECB_TIME_ZONE = ZoneInfo("Europe/Berlin")
_BATCH = 2000
_AUDITED_CHANGES = 500


@dataclass(frozen=True, slots=True)
class RateImport:
    """What one import stored: counts, and the number of rates per date (newest first)."""

    source: str
    rates_per_date: list[tuple[date, int]]
    created: int
    updated: int
    unchanged: int

    @property
    def rates(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def dates(self) -> list[date]:
        return [day for day, _ in self.rates_per_date]


def latest_rate_date() -> date:
    """Today, as late as it is either in the provider's time zone or at the ECB."""
    return max(timezone.localdate(), timezone.localdate(timezone=ECB_TIME_ZONE))


def _require_finance(actor: Any) -> None:
    if actor is None or not getattr(actor, "can_move_money", False):
        raise PermissionDenied("Only Finance or an Administrator can set exchange rates.")


def _clean_source(source: str) -> str:
    text = " ".join(str(source or "").split())
    if not text:
        raise InvalidRate("A rate needs a source.", field="source")
    if len(text) > 80:
        raise InvalidRate("A source has at most 80 characters.", field="source")
    return text


def _clean_rate_date(value: date | str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidRate(
                f"'{value}' is not a date like 2025-01-10.", field="rate_date"
            ) from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidRate("A rate is for a date, not a time.", field="rate_date")
    if value > latest_rate_date():
        raise InvalidRate("A rate cannot be dated in the future.", field="rate_date")
    return value


def _snapshot(row: ExchangeRate) -> dict[str, str]:
    return {
        "base": row.base_currency,
        "quote": row.quote_currency,
        "rate": str(row.rate),
        "rate_date": row.rate_date.isoformat(),
        "source": row.source,
    }


def rate_set(
    *,
    base: str,
    quote: str,
    rate: Decimal | str | int,
    rate_date: date | str,
    actor: Any,
    source: str | None = None,
) -> ExchangeRate:
    """Set 1 `base` = `rate` `quote` on `rate_date` (Finance/Admin); a changed rate is audited."""
    _require_finance(actor)
    base_code = normalize_currency(base)
    quote_code = normalize_currency(quote)
    if base_code == quote_code:
        raise InvalidRate("A rate converts between two different currencies.", field="quote")
    value = to_rate(rate)
    day = _clean_rate_date(rate_date)
    label = _clean_source(source if source is not None else f"manual: {actor.email}")
    key = {
        "base_currency": base_code,
        "quote_currency": quote_code,
        "rate_date": day,
        "source": label,
    }
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _rate_write(key=key, value=value, actor=actor)
        except IntegrityError:
            # Someone created the same rate a moment ago: the second try updates it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _rate_write(*, key: dict[str, Any], value: Decimal, actor: Any) -> ExchangeRate:
    row = ExchangeRate.objects.select_for_update().filter(**key).first()
    before = None
    if row is None:
        row = ExchangeRate.objects.create(**key, rate=value, created_by=actor)
    elif row.rate == value:
        return row
    else:
        before = _snapshot(row)
        row.rate = value
        row.updated_at = timezone.now()
        row.save(update_fields=["rate", "updated_at"])
    audit_record(action="fx.rate_set", actor=actor, obj=row, before=before, after=_snapshot(row))
    return row


def rate_import_ecb(*, xml_bytes: bytes, source: str = ECB_SOURCE, actor: Any = None) -> RateImport:
    """Store every EUR→currency rate of an ECB eurofxref file, all or nothing; re-import is a no-op.

    A rate the file changes for a date already stored is updated (and audited).
    """
    if actor is not None:
        _require_finance(actor)
    label = _clean_source(source)
    days = eurofxref_parse(xml_bytes, latest_date=latest_rate_date())
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _import_store(days=days, source=label, actor=actor)
        except IntegrityError:
            # Another import stored some of these rates meanwhile: the second try sees them.
            if attempt == 2:
                raise ExchangeRateError(
                    "Another import of the same rates is running; try again."
                ) from None
    raise AssertionError("unreachable")


def _import_store(*, days: list[DailyRates], source: str, actor: Any) -> RateImport:
    oldest, newest = days[-1].rate_date, days[0].rate_date
    existing = {
        (quote, day): (pk, rate)
        for pk, quote, day, rate in ExchangeRate.objects.filter(
            base_currency="EUR", source=source, rate_date__range=(oldest, newest)
        )
        .values_list("pk", "quote_currency", "rate_date", "rate")
        .iterator(chunk_size=_BATCH)
    }
    now = timezone.now()
    created = unchanged = 0
    changes: list[dict[str, str]] = []
    pending: list[ExchangeRate] = []
    for day in days:
        for quote, rate in day.rates.items():
            stored = existing.get((quote, day.rate_date))
            if stored is None:
                pending.append(
                    ExchangeRate(
                        base_currency="EUR",
                        quote_currency=quote,
                        rate=rate,
                        rate_date=day.rate_date,
                        source=source,
                        created_at=now,
                        updated_at=now,
                        created_by=actor,
                    )
                )
                if len(pending) >= _BATCH:
                    created += len(ExchangeRate.objects.bulk_create(pending))
                    pending = []
            elif stored[1] == rate:
                unchanged += 1
            else:
                ExchangeRate.objects.filter(pk=stored[0]).update(rate=rate, updated_at=now)
                changes.append(
                    {
                        "quote": quote,
                        "rate_date": day.rate_date.isoformat(),
                        "before": str(stored[1]),
                        "after": str(rate),
                    }
                )
    created += len(ExchangeRate.objects.bulk_create(pending))
    result = RateImport(
        source=source,
        rates_per_date=[(day.rate_date, len(day.rates)) for day in days],
        created=created,
        updated=len(changes),
        unchanged=unchanged,
    )
    if created or changes:
        audit_record(
            action="fx.import",
            actor=actor,
            actor_email="" if actor is not None else "import-rates",
            after={
                "source": source,
                "oldest_date": oldest.isoformat(),
                "newest_date": newest.isoformat(),
                "created": created,
                "updated_count": len(changes),
                # Each changed rate, before and after (the first ones, should a file rewrite many).
                "updated": changes[:_AUDITED_CHANGES],
            },
        )
    return result
