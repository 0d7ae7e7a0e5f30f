"""`paydesk import-rates PATH_OR_URL`: import the ECB's euro reference-rate XML (daily or history).

Reads a file from disk or fetches an http(s) URL (with a timeout and a size limit), then hands
the bytes to paydesk.fx.services.rate_import_ecb, which stores all of it or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import httpx
from django.core.management.base import BaseCommand, CommandError

from paydesk.errors import PaydeskError
from paydesk.fx.models import ECB_SOURCE
from paydesk.fx.services import RateImport, rate_import_ecb

# The ECB's full history file is about 6 MB; anything far larger is not a rate file.
MAX_FILE_BYTES = 32 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 30.0


class RateFileUnreadable(Exception):
    """The path or URL could not be read (missing, too large, HTTP error)."""


def read_location(location: str, *, timeout: float, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes at a path or an http(s) URL, at most `max_bytes` of them."""
    if location.lower().startswith(("http://", "https://")):
        return _fetch(location, timeout=timeout, max_bytes=max_bytes)
    path = Path(location).expanduser()
    try:
        if path.stat().st_size > max_bytes:
            raise RateFileUnreadable(f"{location} is larger than {max_bytes} bytes.")
        return path.read_bytes()
    except OSError as exc:
        raise RateFileUnreadable(f"Cannot read {location}: {exc.strerror or exc}.") from None


def _fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5) as client:
            with client.stream("GET", url, headers={"Accept": "application/xml, text/xml"}) as resp:
                if resp.status_code != 200:
                    raise RateFileUnreadable(f"{url} answered HTTP {resp.status_code}.")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise RateFileUnreadable(f"{url} is larger than {max_bytes} bytes.")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise RateFileUnreadable(f"{url} is larger than {max_bytes} bytes.")
                return bytes(body)
    except httpx.HTTPError as exc:
        raise RateFileUnreadable(f"Cannot fetch {url}: {exc}") from None


def _dates_text(result: RateImport) -> str:
    dates = [day.isoformat() for day in result.dates]
    if len(dates) == 1:
        return dates[0]
    if len(dates) <= 5:
        return f"{len(dates)} dates ({', '.join(dates)})"
    return f"{len(dates)} dates, {dates[-1]} to {dates[0]}"


class Command(BaseCommand):
    help = (
        "Import the European Central Bank's euro reference rates (eurofxref XML: daily, 90-day "
        "or history file) from a path or an http(s) URL. All of the file is stored or none."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("location", metavar="PATH_OR_URL", help="A file path or http(s) URL.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        parser.add_argument(
            "--source", default=ECB_SOURCE, help=f"Source recorded with each rate ({ECB_SOURCE})."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT_SECONDS,
            help="Seconds to wait for a URL (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            xml_bytes = read_location(options["location"], timeout=options["timeout"])
            result = rate_import_ecb(xml_bytes=xml_bytes, source=options["source"])
        except RateFileUnreadable as exc:
            self._fail(options, "rate_file_unreadable", str(exc))
        except PaydeskError as exc:
            self._fail(options, exc.code, exc.message)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": True,
                        "source": result.source,
                        "rates": result.rates,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "dates": [
                            {"date": day.isoformat(), "rates": count}
                            for day, count in result.rates_per_date
                        ],
                    }
                )
            )
        else:
            self.stdout.write(
                f"Imported {result.rates} {result.source} rates for {_dates_text(result)}: "
                f"{result.created} new, {result.updated} changed, {result.unchanged} unchanged."
            )

    def _fail(self, options: dict[str, Any], code: str, message: str) -> NoReturn:
        if options["json"]:
            self.stdout.write(json.dumps({"ok": False, "error": code, "message": message}))
        raise CommandError(message)
