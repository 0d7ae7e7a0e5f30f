"""Reading the European Central Bank's euro reference-rate XML (eurofxref: daily, 90-day, history).

Bytes in, dated EUR→currency rates out. This module never touches the database, never fetches
anything, and never expands an entity: a file that declares a DTD is refused outright (the ECB's
files have none), which stops entity bombs and external-entity tricks before they start.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import defusedxml
import defusedxml.ElementTree

from paydesk.errors import InvalidCurrency, InvalidRate, InvalidRateFile
from paydesk.fx.fields import to_rate
from paydesk.money import normalize_currency

GESMES_NS = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
_ENVELOPE = f"{{{GESMES_NS}}}Envelope"
_CUBE = f"{{{EUROFXREF_NS}}}Cube"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class DailyRates:
    """The ECB's rates for one day: currency → units of that currency for 1 EUR."""

    rate_date: date
    rates: dict[str, Decimal]


def eurofxref_parse(xml_bytes: bytes, *, latest_date: date) -> list[DailyRates]:
    """Every day's rates in the file, newest first; InvalidRateFile for anything else.

    `latest_date` is today: a rate dated after it is refused.
    """
    if not isinstance(xml_bytes, bytes):
        raise InvalidRateFile("A rate file is read as bytes.")
    root = _root(xml_bytes)
    cubes = root.findall(_CUBE)
    if len(cubes) != 1:
        raise InvalidRateFile(
            f"Expected one eurofxref <Cube> inside the envelope, found {len(cubes)}."
        )
    days: dict[date, DailyRates] = {}
    for day_cube in cubes[0]:
        day = _daily_rates(day_cube, latest_date=latest_date)
        if day.rate_date in days:
            raise InvalidRateFile(f"The file holds {day.rate_date.isoformat()} twice.")
        days[day.rate_date] = day
    if not days:
        raise InvalidRateFile("The file holds no rates.")
    return sorted(days.values(), key=lambda d: d.rate_date, reverse=True)


def _root(xml_bytes: bytes) -> ET.Element:
    try:
        root = defusedxml.ElementTree.fromstring(xml_bytes, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise InvalidRateFile(
            "The file declares a DTD or entities, which an ECB rate file never does; refused."
        ) from None
    except ET.ParseError as exc:
        raise InvalidRateFile(f"The file is not well-formed XML ({exc}).") from None
    if root.tag != _ENVELOPE:
        raise InvalidRateFile(
            f"Not an ECB eurofxref file: the root element is <{_local_name(root.tag)}>, "
            "expected <gesmes:Envelope>."
        )
    return root


def _daily_rates(day_cube: ET.Element, *, latest_date: date) -> DailyRates:
    if day_cube.tag != _CUBE or set(day_cube.attrib) != {"time"}:
        raise InvalidRateFile(
            f'Expected <Cube time="YYYY-MM-DD"> elements, found <{_local_name(day_cube.tag)}> '
            f"with attributes {sorted(day_cube.attrib)}."
        )
    rate_date = _rate_date(day_cube.attrib["time"])
    if rate_date > latest_date:
        raise InvalidRateFile(
            f"The file holds rates for {rate_date.isoformat()}, a date in the future."
        )
    rates: dict[str, Decimal] = {}
    for rate_cube in day_cube:
        currency, rate = _rate(rate_cube, rate_date)
        if currency in rates:
            raise InvalidRateFile(f"{currency} appears twice on {rate_date.isoformat()}.")
        rates[currency] = rate
    if not rates:
        raise InvalidRateFile(f"No rates on {rate_date.isoformat()}.")
    return DailyRates(rate_date=rate_date, rates=rates)


def _rate_date(text: str) -> date:
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidRateFile(f"'{text}' is not a date like 2025-01-10.")


def _rate(rate_cube: ET.Element, rate_date: date) -> tuple[str, Decimal]:
    on = rate_date.isoformat()
    if rate_cube.tag != _CUBE or "currency" not in rate_cube.attrib:
        raise InvalidRateFile(
            f"Expected <Cube currency=… rate=…> on {on}, found <{_local_name(rate_cube.tag)}>."
        )
    code = rate_cube.attrib["currency"]
    try:
        currency = normalize_currency(code)
    except InvalidCurrency:
        raise InvalidRateFile(f"'{code}' on {on} is not an ISO 4217 currency.") from None
    if currency != code or currency == "EUR":
        raise InvalidRateFile(f"'{code}' on {on} is not a currency the ECB quotes against EUR.")
    if "rate" not in rate_cube.attrib:
        raise InvalidRateFile(f"The rate for {currency} on {on} is missing.")
    try:
        return currency, to_rate(rate_cube.attrib["rate"])
    except InvalidRate as exc:
        raise InvalidRateFile(f"Bad rate for {currency} on {on}: {exc.message}") from None


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
