"""The ledger's fast path: the two statements every posting sends (the balance UPDATE and the
payment INSERT), run with as little per-call work as Django allows (bench/ P1).

- `execute_hot` (paydesk/fastsql.py) runs one of them; on PostgreSQL through a prepared,
  server-side-binding psycopg cursor on Django's own connection (docs/decisions.md,
  PAYDESK_PG_PREPARED).
- `payment_new` makes the new Payment instance exactly as `Payment(**fields)` does, by Django's
  positional (from_db) constructor: the keyword one looked every field up by name on every
  posting. tests/ledger/test_fastpath.py compares the two.
- `payment_row_insert` INSERTs a new Payment exactly as `save(force_insert=True)` would (the
  same signals, the same `pre_save` and `get_db_prep_save` conversions, the same columns) from
  one statement compiled once per database vendor. tests/ledger/test_fastpath.py fails if the
  `Model.save` behaviour it mirrors changes.

- `rows_insert` INSERTs many rows of a model at once — by COPY on PostgreSQL (ids drawn from
  the table's sequence first), multi-row statements elsewhere: imported history
  (ledger/imports.py) and the imports app's origin rows.

Only paydesk.ledger (and `rows_insert`, paydesk.imports) calls this module.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, router

from paydesk.fastsql import execute_hot, insert_statement, inserted, pre_save_send
from paydesk.ledger.hooks import (
    NEW_PAYMENT,
    PaymentChange,
    created_inserts,
    created_listeners_tell,
)
from paydesk.ledger.models import Payment

# (vendor) → the INSERT statement of a new payment row, and its fields in order, each with its
# kind: "text" (a str is stored as it is), "datetime" or "other".
_INSERT_STATEMENTS: dict[str, tuple[str, list[tuple[Any, str]]]] = {}


def _insert_statement() -> tuple[str, list[tuple[Any, str]]]:
    cached = _INSERT_STATEMENTS.get(connection.vendor)
    if cached is None:
        sql, fields = insert_statement(Payment)
        kinds = [
            "text"
            if isinstance(f, models.CharField | models.TextField)
            else "datetime"
            if isinstance(f, models.DateTimeField)
            else "other"
            for f in fields
        ]
        cached = (sql, list(zip(fields, kinds, strict=True)))
        _INSERT_STATEMENTS[connection.vendor] = cached
    return cached


def payment_new(**values: Any) -> Payment:
    """`Payment(**values)` (fields by name, related objects or None for the foreign keys, every
    field not named at its default), built through the positional constructor, the one
    `Model.from_db` uses; each named related object is cached on the instance as assigning it
    caches it, so reading it back costs no query."""
    args = []
    related = []
    for field in Payment._meta.concrete_fields:
        if field.name in values:
            value = values.pop(field.name)
            if isinstance(field, models.ForeignKey):
                model = field.related_model
                assert not isinstance(model, str)  # "self" only until the apps are loaded
                if value is not None and not isinstance(value, model):
                    raise ValueError(f"Payment.{field.name} must be a {model.__name__} instance.")
                related.append((field, value))
                value = None if value is None else getattr(value, field.target_field.attname)
            args.append(value)
        elif field.attname in values:
            args.append(values.pop(field.attname))
        else:
            args.append(field.get_default())
    if values:
        raise TypeError(f"Payment has no field {', '.join(values)}.")
    payment = Payment(*args)
    for field, value in related:
        field.set_cached_value(payment, value)
        if value is not None and payment._state.db is None:  # as assigning it does
            payment._state.db = router.db_for_write(Payment, instance=value)
    return payment


def payment_row_insert(payment: Payment, change: PaymentChange | None = None) -> tuple[str, ...]:
    """INSERT a new payment row, as `save(force_insert=True)` would, in one statement.

    The same signals (pre_save, then post_save, when anything listens), the same columns,
    values and conversions (`pre_save`, `get_db_prep_save`), the same constraints and triggers;
    only the ORM's per-call SQL compilation is skipped, which was a third of the cost of posting
    a payment (bench/ P1). A value that is an SQL expression (a db_default, say) is left to
    `save()`.

    With `change` (its creation), on PostgreSQL, the INSERTs the payment listeners give for it
    (ledger/hooks.py `created_inserts`) go in the same statement, after the payment's:
    `WITH new_payment AS (INSERT … RETURNING id), l0 AS (<listener's INSERT>) … SELECT id FROM
    new_payment`; elsewhere those listeners are told right after the INSERT. Returns the names
    of the listeners so told.
    """
    sql, fields = _insert_statement()
    if any(hasattr(getattr(payment, f.attname), "resolve_expression") for f, _kind in fields):
        payment.save(force_insert=True)
        return ()
    pre_save_send(payment)
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`, looked up on every use
    params = []
    converted: dict[int, Any] = {}  # one datetime in several columns is converted once
    for field, kind in fields:
        value = field.pre_save(payment, True)
        if value is None or (kind == "text" and isinstance(value, str)):
            params.append(value)
            continue
        if kind == "datetime":
            if id(value) not in converted:
                converted[id(value)] = field.get_db_prep_save(value, db)
            value = converted[id(value)]
        else:
            value = field.get_db_prep_save(value, db)
        params.append(value)
    told: tuple[str, ...] = ()
    if change is not None and db.vendor == "postgresql":
        told, companions = created_inserts(change)
        if companions:
            sql = _with_companions(sql, tuple(c_sql for c_sql, _params in companions))
            for _c_sql, c_params in companions:
                params += c_params
    row = execute_hot(sql, params)
    assert row is not None  # INSERT … RETURNING: one row
    inserted(payment, row[0])
    if change is not None and db.vendor != "postgresql":
        told = created_listeners_tell(change)
    return told


_WITH_SQL: dict[tuple[str, ...], str] = {}


def _with_companions(sql: str, companions: tuple[str, ...]) -> str:
    key = (sql, *companions)
    combined = _WITH_SQL.get(key)
    if combined is None:
        parts = [f"{NEW_PAYMENT} AS ({sql})"]
        parts += [f"l{i} AS ({c_sql})" for i, c_sql in enumerate(companions)]
        combined = f"WITH {', '.join(parts)} SELECT id FROM {NEW_PAYMENT}"
        _WITH_SQL[key] = combined
    return combined


def _converter(field: Any) -> Any:
    """How one column's Python value becomes its database parameter, as `get_db_prep_save`
    would, without its per-call dispatch (a million-row import calls it per cell)."""
    from paydesk.fields import AmountField

    if isinstance(field, AmountField):
        return field.get_prep_value
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.CharField | models.TextField | models.BooleanField):
        return None
    if isinstance(field, models.ForeignKey | models.IntegerField):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def rows_insert(
    model: type[models.Model],
    columns: list[str],
    rows: list[tuple[Any, ...]],
    *,
    ids: bool = True,
) -> list[int]:
    """INSERT `rows` (tuples of Python values for the model fields named by `columns`, by
    attname; every other column takes its field's default) and return the new ids in row order
    (or [] with `ids=False`: nothing is asked back). For imports of many rows: no model
    instances, no per-row SQL compilation, no signals (nothing in Paydesk listens to these
    inserts). Must run inside the caller's transaction.

    On PostgreSQL the rows go in by COPY, PostgreSQL's fastest way in (bench/ P6): the ids are
    drawn from the table's own sequence first, in one statement (`nextval` over
    `generate_series`), and written with the rows. A sequence hands each value out once, to
    whichever session asks, and only ever upwards, so the ids are unique however many imports
    and live postings run at once, and ascend in row order (the statement's tie-break on equal
    times); the constraints, foreign keys and triggers hold as for an INSERT. Elsewhere,
    multi-row INSERTs.
    """
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in fields}
    given = [by_name[name] for name in columns]
    rest = [f for f in fields if f.attname not in columns]
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
    converters = [_converter(f) for f in given]
    width = len(given) + len(rest)
    names = [qn(f.column) for f in [*given, *rest]]

    def params_of(row: tuple[Any, ...]) -> list[Any]:
        values = [
            value if convert is None or value is None else convert(value)
            for value, convert in zip(row, converters, strict=True)
        ]
        return values + defaults

    if connection.vendor == "postgresql":
        return _rows_copy(meta, names, [params_of(r) for r in rows], ids=ids)
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(names)}) VALUES "
    placeholder = "(" + ", ".join(["%s"] * width) + ")"
    returning = f" RETURNING {qn(meta.pk.column)}" if ids else ""
    new_ids: list[int] = []
    # SQLite allows 32,766 parameters per statement; stay well under.
    per_statement = max(1, 8000 // width)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in params_of(row)]
            cursor.execute(head + ", ".join([placeholder] * len(chunk)) + returning, params)
            if ids:
                new_ids.extend(row[0] for row in cursor.fetchall())
    return new_ids


def _rows_copy(meta: Any, names: list[str], values: list[list[Any]], *, ids: bool) -> list[int]:
    """COPY rows (database values for the columns `names`) into the model's table, on Django's
    own connection, in the caller's transaction; with `ids`, first draw one id per row from
    the table's sequence and return them in row order."""
    if not values:
        return []
    qn = connection.ops.quote_name
    connection.ensure_connection()
    new_ids: list[int] = []
    # Errors become Django's (IntegrityError on the unique origin…), as through Django's cursor.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        if ids:
            # The sequence looked up once (MATERIALIZED), then one nextval per row: each value
            # is this session's alone, and they ascend; sorted, they follow the rows' order.
            # pg_get_serial_sequence reads the table's name as SQL does (so quoted), the
            # column's as it is.
            cursor.execute(
                "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq)"
                " SELECT nextval(s.seq) FROM s CROSS JOIN generate_series(1, %s)",
                [qn(meta.db_table), meta.pk.column, len(values)],
            )
            new_ids = sorted(row[0] for row in cursor.fetchall())
            names = [qn(meta.pk.column), *names]
        with cursor.copy(f"COPY {qn(meta.db_table)} ({', '.join(names)}) FROM STDIN") as copy:
            if new_ids:
                for pk, row in zip(new_ids, values, strict=True):
                    copy.write_row((pk, *row))
            else:
                for row in values:
                    copy.write_row(row)
    return new_ids
