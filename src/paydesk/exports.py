"""CSV exports, streamed with flat memory, safe to open in a spreadsheet.

Rows are read in keyset-paged chunks of `values_list` tuples (never OFFSET, never every row at
once) and written by `csv.writer`; the response is a StreamingHttpResponse. The portal exports one
customer's payments; the back office reuses the same functions for every customer, with a
customer column. This module never chooses what a caller may see: it writes exactly the columns
it is given, so a private field (a staff comment) appears only if a caller names it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from operator import itemgetter
from typing import Any

from django.db.models import BigIntegerField, ExpressionWrapper, F, Model, QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import PaymentMethod
from paydesk.ledger.models import PaymentRelation, PaymentStatus, customer_method_label
from paydesk.ledger.selectors import PaymentSort, keyset_after
from paydesk.money import STORAGE_PLACES, STORAGE_SCALE, currency_exponent
from paydesk.shapes import description_shown

BYTE_ORDER_MARK = "\ufeff"  # lets Excel read the file as UTF-8
# A text cell starting with one of these could run as a formula in a spreadsheet. A leading
# byte-order mark (U+FEFF) is invisible and some readers drop it, exposing what follows.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00", "\ufeff")
CHUNK_SIZE = 2000


def csv_safe_text(value: object) -> str:
    """A text cell that cannot start a formula: a leading `'` when it starts with a trigger."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@dataclass(frozen=True)
class CsvColumn:
    """One CSV column: its header, the `values_list` fields (names or expressions) it reads, and
    how it renders them.

    Cells are neutralised by csv_safe_text unless `raw`: a raw column's render must itself
    guarantee a safe cell: a number (so `-10.00` stays a number), an ISO date, or text taken
    from a fixed set that was neutralised beforehand.
    """

    header: str
    fields: tuple[Any, ...]
    render: Callable[..., object] = str
    raw: bool = False


def keyset_chunks(
    queryset: QuerySet[Any],
    *,
    fields: Sequence[str],
    order_field: str,
    descending: bool,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of `queryset` as tuples starting with `fields` (maybe followed by the sort key
    and id), ordered by (order_field, id), in chunks of `chunk_size` rows read by keyset
    (`WHERE (key, id) beyond the last row`): never OFFSET, never every row at once."""
    sign = "-" if descending else ""
    ordered = queryset.order_by(f"{sign}{order_field}", f"{sign}id")
    names = list(fields)
    # The sort key and id are read once even when a column reads them too.
    for name in (order_field, "id"):
        if name not in names:
            names.append(name)
    key_at, id_at = names.index(order_field), names.index("id")
    anchor: tuple[Any, Any] | None = None
    while True:
        page = ordered
        if anchor is not None:
            page = page.filter(keyset_after(order_field, descending, *anchor))
        chunk = list(page.values_list(*names)[:chunk_size])
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            return
        anchor = (chunk[-1][key_at], chunk[-1][id_at])


def _layout(columns: Sequence[CsvColumn]) -> tuple[list[Any], list[tuple[int, ...]]]:
    """The fields the columns read, each once, in order of first use (a field two columns read
    is selected once: the relation and the method, which the Description also reads, the stored
    total), and where each column's fields are among them."""
    fields: list[Any] = []
    found: dict[Any, int] = {}
    positions = []
    for column in columns:
        spots = []
        for field in column.fields:
            key = field if isinstance(field, str) else id(field)  # an expression: itself
            if key not in found:
                found[key] = len(fields)
                fields.append(field)
            spots.append(found[key])
        positions.append(tuple(spots))
    return fields, positions


def _cell_function(
    column: CsvColumn, spots: tuple[int, ...]
) -> Callable[[tuple[Any, ...]], object]:
    render = column.render
    if len(spots) == 1:
        at = spots[0]
        if column.raw:
            return lambda row: render(row[at])
        return lambda row: csv_safe_text(render(row[at]))
    if not spots:
        if column.raw:
            return lambda row: render()
        return lambda row: csv_safe_text(render())
    values = itemgetter(*spots)
    if column.raw:
        return lambda row: render(*values(row))
    return lambda row: csv_safe_text(render(*values(row)))


def csv_rows(
    chunks: Iterable[Sequence[tuple[Any, ...]]], columns: Sequence[CsvColumn]
) -> Iterator[str]:
    """CSV text: the byte order mark and header first, then one piece of text per chunk.

    Each chunk's tuples hold `csv_fields(columns)` in order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow([csv_safe_text(column.header) for column in columns])
    yield BYTE_ORDER_MARK + drain()
    cells = [
        _cell_function(column, spots)
        for column, spots in zip(columns, _layout(columns)[1], strict=True)
    ]
    for chunk in chunks:
        writer.writerows([cell(row) for cell in cells] for row in chunk)
        yield drain()


def csv_fields(columns: Sequence[CsvColumn]) -> list[Any]:
    """The `values_list` fields the columns read, each once, in order of first use."""
    return _layout(columns)[0]


def csv_response(
    *,
    queryset: QuerySet[Any],
    columns: Sequence[CsvColumn],
    order_field: str,
    descending: bool,
    filename: str,
    chunk_size: int = CHUNK_SIZE,
) -> StreamingHttpResponse:
    """A streamed CSV download of `queryset` with `columns`, as file `filename`."""
    chunks = keyset_chunks(
        queryset,
        fields=csv_fields(columns),
        order_field=order_field,
        descending=descending,
        chunk_size=chunk_size,
    )
    response = StreamingHttpResponse(
        csv_rows(chunks, columns), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def plain_units(units: int, exponent: int) -> str:
    """paydesk.money.plain_amount of an amount given in stored ten-thousandths, without a
    Decimal: `-100000` → `-10.00` (USD), `125` → `0.0125`. Pads to the currency's exponent and
    never rounds (the stored amount has at most 4 decimals), so it equals plain_amount."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), STORAGE_SCALE)
    digits = f"{fraction:0{STORAGE_PLACES}d}".rstrip("0").ljust(exponent, "0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


# The stored integer of ten-thousandths, read without the AmountField's Decimal conversion.
TOTAL_UNITS = ExpressionWrapper(F("total"), output_field=BigIntegerField())


def payment_csv_columns(
    *,
    time_zone: tzinfo,
    currency: str | None = None,
    with_customer: bool = False,
    methods_as_entered: bool = False,
) -> list[CsvColumn]:
    """The payments CSV of spec §4: Date / Time (ISO 8601 in `time_zone`), Reference, Total
    (plain signed decimal), Currency, Status, Method, Description (public part only; as the
    portal's page shows it: paydesk.shapes.description_shown).

    With `currency`, every row is in that currency (one customer); without it, each row's
    currency is its customer's. `with_customer` adds a Customer column first (back office).
    The Method is in the customer's words ("Account charge", "Account credit" for a staff
    entry: ledger.models.customer_method_label) unless `methods_as_entered` ("Manual entry",
    the back office's).
    """
    statuses = {code: csv_safe_text(label) for code, label in PaymentStatus.choices}
    if methods_as_entered:
        entered = {code: csv_safe_text(label) for code, label in PaymentMethod.choices}
        method = CsvColumn(
            str(_("Method")), ("method",), lambda v: entered.get(v) or csv_safe_text(v), raw=True
        )
    else:
        worded = {
            (code, debit): csv_safe_text(customer_method_label(code, debit=debit))
            for code in PaymentMethod.values
            for debit in (False, True)
        }
        method = CsvColumn(
            str(_("Method")),
            ("method", TOTAL_UNITS),
            lambda v, units: worded.get((v, units < 0)) or csv_safe_text(v),
            raw=True,
        )

    def moment(value: datetime) -> str:
        return value.astimezone(time_zone).isoformat(timespec="seconds")

    if currency is None:
        exponents: dict[str, int] = {}

        def total_in(units: int, code: str) -> str:
            if code not in exponents:
                exponents[code] = currency_exponent(code)
            return plain_units(units, exponents[code])

        total = CsvColumn(str(_("Total")), (TOTAL_UNITS, "customer__currency"), total_in, raw=True)
        code = CsvColumn(str(_("Currency")), ("customer__currency",))
    else:
        exponent, safe_code = currency_exponent(currency), csv_safe_text(currency)
        total = CsvColumn(
            str(_("Total")), (TOTAL_UNITS,), lambda units: plain_units(units, exponent), raw=True
        )
        code = CsvColumn(str(_("Currency")), (), lambda: safe_code, raw=True)
    columns = [
        CsvColumn(str(_("Date / Time")), ("occurred_at",), moment, raw=True),
        CsvColumn(str(_("Reference")), ("reference",)),
        total,
        code,
        CsvColumn(
            str(_("Status")), ("status",), lambda v: statuses.get(v) or csv_safe_text(v), raw=True
        ),
        method,
        # As the portal's page shows it (a chargeback's reason in its gateway's words): the
        # relation and the method are read once for this and the Relation and Method columns.
        CsvColumn(str(_("Description")), ("description", "relation", "method"), description_shown),
    ]
    if with_customer:
        columns.insert(2, CsvColumn(str(_("Customer")), ("customer__name",)))
    return columns


def payment_link_columns() -> list[CsvColumn]:
    """Two columns after the others (so older columns keep their place): Relation (Refund,
    Chargeback, Chargeback reversed, Late payment; empty for a payment that stands alone) and
    Original reference (the payment it follows)."""
    relations = {code: csv_safe_text(label) for code, label in PaymentRelation.choices if code}
    return [
        CsvColumn(str(_("Relation")), ("relation",), lambda v: relations.get(v, ""), raw=True),
        CsvColumn(str(_("Original reference")), ("original__reference",), lambda v: v or ""),
    ]


def payments_csv_response(
    *,
    queryset: QuerySet[Model],
    sort: PaymentSort,
    time_zone: tzinfo,
    filename: str,
    currency: str | None = None,
    with_customer: bool = False,
) -> StreamingHttpResponse:
    """The payments of `queryset` (already filtered and scoped by the caller), in `sort` order."""
    return csv_response(
        queryset=queryset,
        columns=[
            *payment_csv_columns(
                time_zone=time_zone, currency=currency, with_customer=with_customer
            ),
            *payment_link_columns(),
        ],
        order_field=sort.field,
        descending=sort.descending,
        filename=filename,
    )
