"""Fixtures for the exchange-rate tests: the sample ECB files and a way to write others."""

from __future__ import annotations

import functools
import http.server
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.local_server import served

DATA = Path(__file__).parent / "data"
DAILY_FILE = DATA / "eurofxref-daily.xml"  # 30 currencies on Friday 2025-01-10
HISTORY_FILE = DATA / "eurofxref-hist.xml"  # 4 currencies on 2025-01-10, -09 and -08

ENVELOPE_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
    "<gesmes:subject>Reference rates</gesmes:subject>\n"
)


def ecb_xml(days: dict[date | str, dict[str, str]], *, prolog: str = "") -> bytes:
    """An eurofxref file with the given days (in the given order) and raw rate attributes."""
    body = []
    for day, rates in days.items():
        text = day.isoformat() if isinstance(day, date) else day
        cubes = "".join(f"<Cube currency='{c}' rate='{r}'/>" for c, r in rates.items())
        body.append(f"<Cube time='{text}'>{cubes}</Cube>")
    xml = ENVELOPE_OPEN + "<Cube>" + "".join(body) + "</Cube></gesmes:Envelope>\n"
    if prolog:
        xml = xml.replace("?>\n", "?>\n" + prolog + "\n", 1)
    return xml.encode()


@pytest.fixture
def daily_xml() -> bytes:
    return DAILY_FILE.read_bytes()


@pytest.fixture
def history_xml() -> bytes:
    return HISTORY_FILE.read_bytes()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def rate_server() -> Iterator[str]:
    """Base URL of a local HTTP server (127.0.0.1, its own thread) serving tests/fx/data/."""
    handler = functools.partial(_QuietHandler, directory=str(DATA))
    with served(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url
