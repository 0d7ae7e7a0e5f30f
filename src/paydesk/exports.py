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
from datetime import tzinfo
from typing import Any

from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import PaymentMethod
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.selectors import PaymentSort, keyset_after
from paydesk.money import plain_amount

BYTE_ORDER_MARK = "\ufeff"  # lets Excel read the file as UTF-8
# A text cell starting with one of these could run as a formula in a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")
CHUNK_SIZE = 2000


def csv_safe_text(value: object) -> str:
    """A text cell that cannot start a formula: a leading `'` when it starts with a trigger."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@dataclass(frozen=True)
class CsvColumn:
    """One CSV column: its header, the `values_list` fields it reads, and how it renders them.

    Text cells are neutralised by csv_safe_text; a numeric column's cells are written as
    rendered (so `-10.00` stays a number) and must only ever render numbers.
    """

    header: str
    fields: tuple[str, ...]
    render: Callable[..., object] = str
    numeric: bool = False


def keyset_chunks(
    queryset: QuerySet[Any],
    *,
    fields: Sequence[str],
    order_field: str,
    descending: bool,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of `queryset` as tuples of `fields`, ordered by (order_field, id), in chunks
    of `chunk_size` rows read by keyset (`WHERE (key, id) beyond the last row`)."""
    sign = "-" if descending else ""
    ordered = queryset.order_by(f"{sign}{order_field}", f"{sign}id")
    names = (order_field, "id", *fields)
    anchor: tuple[Any, Any] | None = None
    while True:
        page = ordered
        if anchor is not None:
            page = page.filter(keyset_after(order_field, descending, *anchor))
        chunk = list(page.values_list(*names)[:chunk_size])
        if chunk:
            yield [row[2:] for row in chunk]
        if len(chunk) < chunk_size:
            return
        anchor = (chunk[-1][0], chunk[-1][1])


def csv_rows(
    chunks: Iterable[Sequence[tuple[Any, ...]]], columns: Sequence[CsvColumn]
) -> Iterator[str]:
    """CSV text: the byte order mark and header first, then one piece of text per chunk.

    Each chunk's tuples hold the columns' fields in order (see csv_fields)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow([csv_safe_text(column.header) for column in columns])
    yield BYTE_ORDER_MARK + drain()
    spans = []
    start = 0
    for column in columns:
        spans.append((start, start + len(column.fields), column))
        start += len(column.fields)

    def cells(row: tuple[Any, ...]) -> list[object]:
        out: list[object] = []
        for begin, end, column in spans:
            value = column.render(*row[begin:end])
            out.append(value if column.numeric else csv_safe_text(value))
        return out

    for chunk in chunks:
        writer.writerows(cells(row) for row in chunk)
        yield drain()


def csv_fields(columns: Sequence[CsvColumn]) -> list[str]:
    """The `values_list` fields the columns read, in order."""
    return [name for column in columns for name in column.fields]


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


def payment_csv_columns(
    *, time_zone: tzinfo, currency: str | None = None, with_customer: bool = False
) -> list[CsvColumn]:
    """The payments CSV of spec §4: Date / Time (ISO 8601 in `time_zone`), Reference, Total
    (plain signed decimal), Currency, Status, Method, Description (public part only).

    With `currency`, every row is in that currency (one customer); without it, each row's
    currency is its customer's. `with_customer` adds a Customer column first (back office).
    """
    statuses = {value: str(label) for value, label in PaymentStatus.choices}
    methods = {value: str(label) for value, label in PaymentMethod.choices}

    def moment(value: Any) -> str:
        return value.astimezone(time_zone).isoformat(timespec="seconds")

    if currency is None:
        total = CsvColumn(str(_("Total")), ("total", "customer__currency"), plain_amount, True)
        code = CsvColumn(str(_("Currency")), ("customer__currency",))
    else:
        total = CsvColumn(
            str(_("Total")), ("total",), lambda amount: plain_amount(amount, currency), True
        )
        code = CsvColumn(str(_("Currency")), (), lambda: currency)
    columns = [
        CsvColumn(str(_("Date / Time")), ("occurred_at",), moment),
        CsvColumn(str(_("Reference")), ("reference",)),
        total,
        code,
        CsvColumn(str(_("Status")), ("status",), lambda s: statuses.get(s, s)),
        CsvColumn(str(_("Method")), ("method",), lambda m: methods.get(m, m)),
        CsvColumn(str(_("Description")), ("description",)),
    ]
    if with_customer:
        columns.insert(0, CsvColumn(str(_("Customer")), ("customer__name",)))
    return columns


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
        columns=payment_csv_columns(
            time_zone=time_zone, currency=currency, with_customer=with_customer
        ),
        order_field=sort.field,
        descending=sort.descending,
        filename=filename,
    )
