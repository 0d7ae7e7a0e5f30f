"""Reading the three payment files Paydesk imports into one shape: `SourceRow` (or a refusal
naming its line). Each format is a small mapping of column names (docs/import.md):

- `connexcs`: the ConnexCS customer portal's Payments download. Its documentation names the
  page's columns (Date / Time, Total, Status, Description) but publishes no exact CSV header, so
  those columns are accepted by name, in any order, with optional Customer, Currency, Id and
  Method columns.
- `whmcs`: WHMCS's transactions (Billing › Transactions export, or the GetTransactions fields):
  date, amount in, amount out, fees, gateway, transaction id, client id, currency, description.
  Every row is a completed movement: total = amount in − amount out.
- `paydesk`: Paydesk's own payments CSV (src/paydesk/exports.py), portal or back office.

Headers are matched without case, spaces or punctuation (`Date / Time` = `datetime`). Dates are
ISO 8601; one without an offset is read in the `time_zone` the caller gives, and refused when it
gives none. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from paydesk.accounts.models import PaymentMethod
from paydesk.errors import PaydeskError
from paydesk.exports import FORMULA_TRIGGERS
from paydesk.ledger.models import PaymentStatus
from paydesk.money import normalize_currency, to_decimal


class ImportRefused(PaydeskError):
    """A file, a line of it or a customer map cannot be imported as it is."""

    code = "import_refused"


@dataclass(frozen=True, slots=True)
class SourceRow:
    line: int
    account: str  # the source's customer id or name; "" when the file names none
    occurred_at: datetime
    total: Decimal
    status: str
    method: str
    description: str
    currency: str = ""  # "" when the file does not say
    fee: Decimal | None = None
    origin_key: str = ""
    digest: bool = False  # origin_key is row_digest's (the caller numbers repeats)


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int  # 0: the file or the map as a whole
    message: str


def header_key(text: str) -> str:
    """`Date / Time` → `datetime`, `Amount In` → `amountin`."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _unquote(text: str) -> str:
    """Undo the spreadsheet guard of a Paydesk export: `'-foo` → `-foo`."""
    text = (text or "").strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def parse_moment(text: str, time_zone: tzinfo | None) -> datetime:
    value = _unquote(text)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ImportRefused(
            f"'{text}' is not a date and time like 2025-03-01 14:30:00+01:00."
        ) from None
    if moment.tzinfo is None:
        if time_zone is None:
            raise ImportRefused(
                f"'{text}' has no time zone: add an offset, or give the file's time zone."
            )
        moment = moment.replace(tzinfo=time_zone)
    try:
        moment.astimezone(UTC)  # what the database stores
    except OverflowError:
        raise ImportRefused(
            f"'{text}' is outside the calendar once in UTC (years 1 to 9999)."
        ) from None
    return moment


_STATUSES = {
    "completed": PaymentStatus.COMPLETED,
    "complete": PaymentStatus.COMPLETED,
    "paid": PaymentStatus.COMPLETED,
    "success": PaymentStatus.COMPLETED,
    "pending": PaymentStatus.PENDING,
    "cancelled": PaymentStatus.CANCELLED,
    "canceled": PaymentStatus.CANCELLED,
}
_METHODS = {header_key(str(label)): code for code, label in PaymentMethod.choices}
_METHODS.update({header_key(code): code for code in PaymentMethod.values})
_METHODS.update(
    {
        "banktransfer": PaymentMethod.BANK_TRANSFER,
        "stripe": PaymentMethod.CARD,
        "creditcard": PaymentMethod.CARD,
        "card": PaymentMethod.CARD,
        "paypalcheckout": PaymentMethod.PAYPAL,
        "": PaymentMethod.MANUAL,
    }
)


def parse_status(text: str) -> str:
    status = _STATUSES.get(header_key(_unquote(text)))
    if status is None:
        raise ImportRefused(f"Unknown status '{text}': Completed, Pending or Cancelled.")
    return status


def parse_method(text: str) -> str:
    """A method by its Paydesk code or label, or a gateway's name; anything else: Manual."""
    return _METHODS.get(header_key(_unquote(text)), PaymentMethod.MANUAL)


def parse_amount(text: str, what: str) -> Decimal:
    try:
        return to_decimal(_unquote(text).replace(",", ""), field=what)
    except PaydeskError as exc:
        raise ImportRefused(f"{what}: {exc.message}") from None


class Columns:
    """The cells of one CSV row by column name (any of a few spellings)."""

    def __init__(self, header: list[str], names: dict[str, tuple[str, ...]]) -> None:
        keys = [header_key(h) for h in header]
        self.at: dict[str, int] = {}
        for name, spellings in names.items():
            for spelling in spellings:
                if spelling in keys:
                    self.at[name] = keys.index(spelling)
                    break

    def missing(self, required: tuple[str, ...]) -> list[str]:
        return [name for name in required if name not in self.at]

    def get(self, row: list[str], name: str) -> str:
        index = self.at.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""


@dataclass(frozen=True)
class Format:
    names: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    row: Callable[[Columns, list[str], int, tzinfo | None], SourceRow]


def _connexcs_row(cols: Columns, row: list[str], line: int, tz: tzinfo | None) -> SourceRow:
    return SourceRow(
        line=line,
        account=cols.get(row, "customer"),
        occurred_at=parse_moment(cols.get(row, "date"), tz),
        total=parse_amount(cols.get(row, "total"), "Total"),
        status=parse_status(cols.get(row, "status")),
        method=parse_method(cols.get(row, "method")),
        description=_unquote(cols.get(row, "description")),
        currency=cols.get(row, "currency").upper(),
        origin_key=cols.get(row, "id"),
    )


def _whmcs_row(cols: Columns, row: list[str], line: int, tz: tzinfo | None) -> SourceRow:
    amount_in = parse_amount(cols.get(row, "amountin") or "0", "Amount in")
    amount_out = parse_amount(cols.get(row, "amountout") or "0", "Amount out")
    fees = cols.get(row, "fees")
    invoice = cols.get(row, "invoice")
    description = cols.get(row, "description") or (f"Invoice #{invoice}" if invoice else "")
    return SourceRow(
        line=line,
        account=cols.get(row, "customer"),
        occurred_at=parse_moment(cols.get(row, "date"), tz),
        total=amount_in - amount_out,
        status=PaymentStatus.COMPLETED,
        method=parse_method(cols.get(row, "gateway")),
        description=description,
        currency=cols.get(row, "currency").upper(),
        fee=parse_amount(fees, "Fees") if fees else None,
        origin_key=cols.get(row, "id") or cols.get(row, "transid"),
    )


def _paydesk_row(cols: Columns, row: list[str], line: int, tz: tzinfo | None) -> SourceRow:
    return SourceRow(
        line=line,
        account=_unquote(cols.get(row, "customer")),
        occurred_at=parse_moment(cols.get(row, "date"), tz),
        total=parse_amount(cols.get(row, "total"), "Total"),
        status=parse_status(cols.get(row, "status")),
        method=parse_method(cols.get(row, "method")),
        description=_unquote(cols.get(row, "description")),
        currency=_unquote(cols.get(row, "currency")).upper(),
        origin_key=_unquote(cols.get(row, "reference")),
    )


FORMATS: dict[str, Format] = {
    "connexcs": Format(
        names={
            "date": ("datetime", "date", "time"),
            "total": ("total", "amount"),
            "status": ("status",),
            "description": ("description",),
            "customer": ("customer", "customerid", "account", "company"),
            "currency": ("currency",),
            "id": ("id", "paymentid", "reference"),
            "method": ("method", "payvia"),
        },
        required=("date", "total", "status", "description"),
        row=_connexcs_row,
    ),
    "whmcs": Format(
        names={
            "date": ("date",),
            "amountin": ("amountin", "in"),
            "amountout": ("amountout", "out"),
            "fees": ("fees", "fee"),
            "gateway": ("gateway", "paymentmethod"),
            "transid": ("transid", "transactionid"),
            "id": ("id",),
            "customer": ("userid", "clientid", "client"),
            "currency": ("currency",),
            "description": ("description",),
            "invoice": ("invoiceid", "invoice"),
        },
        required=("date", "amountin"),
        row=_whmcs_row,
    ),
    "paydesk": Format(
        names={
            "date": ("datetime",),
            "customer": ("customer",),
            "reference": ("reference",),
            "total": ("total",),
            "currency": ("currency",),
            "status": ("status",),
            "method": ("method",),
            "description": ("description",),
        },
        required=("date", "reference", "total", "status", "description"),
        row=_paydesk_row,
    ),
}


def row_digest(row: SourceRow) -> str:
    """What identifies a row without an id of its own: its customer, time, total, status and
    description (the n-th identical row of a file gets `#n`)."""
    text = "\x1f".join(
        [row.account, row.occurred_at.isoformat(), str(row.total), row.status, row.description]
    )
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:48]


def read_rows(
    text: str | Iterable[str],
    file_format: str,
    time_zone: tzinfo | None = None,
    *,
    number_repeats: bool = True,
) -> Iterator[SourceRow | Refusal]:
    """Every data line of `text` (a CSV file, UTF-8: a string, or its lines such as an open
    file) in file order, as a SourceRow or a Refusal.

    A row without an id gets its digest as origin key (`digest` set); the n-th identical one
    gets `#n` too, unless `number_repeats` is False (the caller then numbers them, keeping
    memory flat). A file that cannot be read at all gives one Refusal with line 0."""
    spec = FORMATS.get(file_format)
    if spec is None:
        yield Refusal(0, f"Unknown format '{file_format}': connexcs, whmcs or paydesk.")
        return
    lines = io.StringIO(text) if isinstance(text, str) else iter(text)
    reader = csv.reader(line.lstrip("\ufeff") if n == 0 else line for n, line in enumerate(lines))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield Refusal(1, f"The header cannot be read as CSV: {exc}.")
        return
    if not header:
        yield Refusal(0, "The file is empty.")
        return
    cols = Columns(header, spec.names)
    missing = cols.missing(spec.required)
    if missing:
        yield Refusal(
            1,
            f"The header has no column for {', '.join(missing)} "
            f"(the {file_format} format: docs/import.md).",
        )
        return
    seen: Counter[str] = Counter()
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Refusal(line, f"This line cannot be read as CSV: {exc}.")
            return
        if not any(cell.strip() for cell in cells):
            continue
        try:
            row = spec.row(cols, cells, line, time_zone)
            if row.currency:
                normalize_currency(row.currency)
        except PaydeskError as exc:
            yield Refusal(line, exc.message)
            continue
        if not row.origin_key:
            key = digest = row_digest(row)
            if number_repeats:
                seen[digest] += 1
                key = digest if seen[digest] == 1 else f"{digest}#{seen[digest]}"
            row = replace(row, origin_key=key, digest=True)
        yield row
