"""Cached SQL for the hot path's row reads and inserts (issue 18, bench P5).

Django compiles a queryset's SQL on every call; on a top-up request that compilation was the
largest share of the app's CPU. These two helpers build a statement once per (model, shape,
database vendor) and then only bind parameters:

- `first_row(model, where, params)`: the first row (by `order_by`) matching a WHERE clause
  written in column names, as a model instance exactly as the ORM would load it (every
  concrete column, or `only` those, the others deferred; the columns' database converters,
  `Model.from_db`), or None.
- `first_joined(models, joins, where, params)`: `first_row` of the first model with the rows
  its LEFT JOINs bring from the others, in one statement.
- `column_values(model, attname, where, params)`: one column of every matching row, in order.
- `first_rows(reads, params)`: `first_row` of each of several (model, where) in one statement
  (a request's reads of small settings tables, bench P5), and with `lists` `column_values` of
  others in it too on PostgreSQL (a customer's contact addresses).
- `row_insert(instance)`: INSERT a new row as `save(force_insert=True)` would — the same
  `pre_save`/`post_save` signals when anything listens, the same `pre_save` and
  `get_db_prep_save` conversions, the same columns; the database's constraints and triggers
  answer as they would. A value that is an SQL expression is left to `save()`.

- `execute_hot(sql, params)`: one statement every posting sends (the ledger's balance UPDATE
  and payment INSERT, the outgoing webhooks' event rows), with as little per-call work as
  Django allows (bench P1).

On PostgreSQL every one of these statements is prepared (as `execute_hot`'s, unless
PAYDESK_PG_PREPARED is off): parsed and planned once per connection.

Each app calls them for its own tables only (the ledger keeps its own fast path for payments:
ledger/fastpath.py), but for `first_rows`, where an app reads another's current settings row
(`PortalDefaults.current()`, `bank_details_current()`) beside its own. tests/test_fastsql.py
compares them with the ORM.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.db.models import signals

M = TypeVar("M", bound=models.Model)

# SQL written with %s placeholders → the same with SQLite's `?` (as Django's cursor converts it)
_QMARK: dict[str, str] = {}


def execute_hot(
    sql: str, params: list[Any], *, fetch: bool = True, db: Any = None
) -> tuple[Any, ...] | None:
    """Run one of the statements every posting sends and return its first row (None when it
    returns none, or with `fetch=False`: a statement that returns nothing), inside the caller's
    transaction.

    On PostgreSQL (unless PAYDESK_PG_PREPARED is off) it goes through a server-side-binding
    psycopg cursor on Django's own connection with `prepare=True`: PostgreSQL parses and plans
    it once per connection instead of on every payment, as any plain psycopg program's repeated
    statements are (bench P1's floor). Django's default client-side-binding cursor cannot
    prepare. On SQLite, inside a transaction, straight on Django's own sqlite3 connection, the
    `%s` placeholders converted once: Django's cursor wrapper converted them with a regular
    expression and wrapped every call on every posting. Either way the errors are Django's
    (IntegrityError…), and a transaction a failed statement broke is refused as Django refuses
    it. When Django is recording or wrapping queries (DEBUG, assertNumQueries, an
    execute_wrapper) SQLite's goes through Django's cursor, so they see it.

    `db`: the caller's `connections[DEFAULT_DB_ALIAS]`, when it has it (each look-up goes
    through a thread-local).
    """
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up on every use
    vendor = db.vendor
    if vendor == "postgresql" and settings.PAYDESK_PG_PREPARED:
        cursor = _prepared(db, sql, params)
        return cursor.fetchone() if fetch else None
    if (
        vendor == "sqlite"
        and db.in_atomic_block
        and not db.queries_logged
        and not db.execute_wrappers
    ):
        qmark = _QMARK.get(sql)
        if qmark is None:
            # Django's own %s → ? conversion, a method the stubs do not list.
            qmark = _QMARK[sql] = SQLiteCursorWrapper.convert_query(None, sql)  # type: ignore[attr-defined]
        db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            rows = db.connection.execute(qmark, params)
            return rows.fetchone() if fetch else None
    with connection.cursor() as django_cursor:
        django_cursor.execute(sql, params)
        return django_cursor.fetchone() if fetch else None


def _prepared(db: Any, sql: str, params: list[Any]) -> psycopg.RawCursor:
    """Run `sql` on PostgreSQL prepared, on its kept cursor (`_hot_cursor`), in the caller's
    transaction, errors as Django's; the cursor holds the whole result (psycopg reads it with
    the answer), to fetch from.

    It is also the connection's health check (CONN_HEALTH_CHECKS, settings/base.py) when it is
    a request's first statement: a statement that ran has shown the connection works, so
    Django's own check (a `SELECT 1` round trip at the request's first cursor or transaction)
    is marked done; a read that finds the connection gone (a PostgreSQL restart) connects again
    and runs once more, as that check would have. Anything else still gets Django's check
    first: what it wrote may have happened before the connection broke."""
    checking = db.health_check_enabled and not db.health_check_done and db.connection is not None
    if checking and (db.in_atomic_block or not sql.startswith("SELECT")):
        db.close_if_health_check_failed()
        checking = False
    db.ensure_connection()
    db.validate_no_broken_transaction()
    try:
        with db.wrap_database_errors:
            cursor, sent = _hot_cursor(db, sql)
            cursor.execute(sent, params, prepare=True)
    except DatabaseError:
        if not checking or not getattr(db.connection, "broken", False):
            raise
        db.close()  # gone since it was last used: what Django's check would have found
        db.ensure_connection()
        with db.wrap_database_errors:
            cursor, sent = _hot_cursor(db, sql)
            cursor.execute(sent, params, prepare=True)
    db.health_check_done = True
    return cursor


def _hot_cursor(db: Any, sql: str) -> tuple[psycopg.RawCursor, str]:
    """The server-side-binding cursor that runs `sql` on `db`'s current psycopg connection,
    and `sql` as that cursor sends it (`numbered`), made once per (connection, statement) and
    kept: a new cursor per statement cost a cursor and its adaptation set on every posting
    (bench P1), and one cursor that runs the same statement again keeps its adaptation
    (psycopg's own reuse). A statement's results are read before the next one runs, so
    holding them costs nothing.

    A RawCursor, so that psycopg sends the statement as it is instead of finding its `%s`
    placeholders on every call: it remembers what it found only for statements of at most 50
    parameters, and a top-up's payment, with its event row and audit entry in one statement
    (ledger/fastpath.py), has 60 — parsing it again was ~7 % of a bank transfer's app CPU
    (bench P5, py-spy)."""
    raw = db.connection
    kept = db.__dict__.get("_paydesk_hot_cursors")
    if kept is None or kept[0] is not raw:
        kept = db.__dict__["_paydesk_hot_cursors"] = (raw, {})
    found = kept[1].get(sql)
    if found is None or found[0].closed:
        found = kept[1][sql] = (psycopg.RawCursor(raw), numbered(sql))
    return found


_NUMBERED: dict[str, str] = {}
_PERCENT = re.compile(r"%(.?)", re.DOTALL)


def numbered(sql: str) -> str:
    """`sql` with its `%s` placeholders written as PostgreSQL's own `$1`, `$2`, … and `%%` as
    `%`: the statement psycopg would send for it, as a RawCursor takes it. Anything else after
    a `%` is refused, as psycopg refuses it."""
    converted = _NUMBERED.get(sql)
    if converted is None:
        count = 0

        def one(match: re.Match[str]) -> str:
            nonlocal count
            if match.group(1) == "%":
                return "%"
            if match.group(1) == "s":
                count += 1
                return f"${count}"
            raise ValueError(f"Only %s placeholders and %% are allowed: {sql!r}")

        converted = _NUMBERED[sql] = _PERCENT.sub(one, sql)
    return converted


def _first(sql: str, params: list[Any], db: Any = None) -> tuple[Any, ...] | None:
    """The first row of one of these cached statements (a SELECT, an INSERT … RETURNING), run
    as `execute_hot` runs the ledger's: on PostgreSQL prepared, so PostgreSQL parses and plans
    it once per connection and psycopg keeps its result's loaders — about half the CPU of each
    statement on both sides (bench P5: the API key's three-table read 150 → 55 µs in the app,
    250 → 35 µs in PostgreSQL). While Django records or wraps queries (DEBUG, assertNumQueries,
    an execute_wrapper) it goes through Django's cursor, so that those see it. `db`: the
    default connection, when the caller has looked it up."""
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]
    if not db.queries_logged and not db.execute_wrappers:
        return execute_hot(sql, params, db=db)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _every(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Every row of one of these cached SELECTs, prepared on PostgreSQL as `_first`'s."""
    db = connections[DEFAULT_DB_ALIAS]
    if (
        db.vendor == "postgresql"
        and settings.PAYDESK_PG_PREPARED
        and not db.queries_logged
        and not db.execute_wrappers
    ):
        return _prepared(db, sql, params).fetchall()
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# (model, where, order_by, only, limit, vendor) → (SQL, [(attname, converters)])
_SELECTS: dict[tuple[Any, ...], tuple[str, list[tuple[str, list[Any]]]]] = {}
# (models, joins, where, vendor) → (SQL, [[(attname, converters)] per model])
_JOINED: dict[tuple[Any, ...], tuple[str, list[list[tuple[str, list[Any]]]]]] = {}
# (reads, vendor) → (SQL, [[(attname, converters)] per model])
_MANY: dict[tuple[Any, ...], tuple[str, list[list[tuple[str, list[Any]]]]]] = {}
# (model, vendor) → (SQL, [field])
_INSERTS: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}


def _select(
    model: type[M],
    where: str,
    order_by: str,
    only: tuple[str, ...] | None,
    limit: bool,
    vendor: str | None = None,
) -> tuple[str, list[tuple[str, list[Any]]]]:
    cache_key = (model, where, order_by, only, limit, vendor or connection.vendor)
    cached = _SELECTS.get(cache_key)
    if cached is None:
        meta = model._meta
        qn = connection.ops.quote_name
        columns, converters = _columns(model, only)
        sql = f"SELECT {columns} FROM {qn(meta.db_table)}"
        if where:
            sql += f" WHERE {where}"
        sql += f" ORDER BY {qn(order_by)}" + (" LIMIT 1" if limit else "")
        cached = (sql, converters)
        _SELECTS[cache_key] = cached
    return cached


def _columns(
    model: type[models.Model], only: tuple[str, ...] | None = None
) -> tuple[str, list[tuple[str, list[Any]]]]:
    """The SELECT list of `model`'s columns (`only` those and the key) and their converters."""
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if only is None or f.primary_key or f.attname in only]
    columns = ", ".join(f"{qn(meta.db_table)}.{qn(f.column)}" for f in fields)
    converters = []
    for field in fields:
        col = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append((field.attname, [(conv, col) for conv in found]))
    return columns, converters


def _converted(row: Any, converters: list[tuple[str, list[Any]]], db: Any) -> list[Any]:
    values = []
    for value, (_attname, convs) in zip(row, converters, strict=True):
        for convert, col in convs:
            value = convert(value, col, db)
        values.append(value)
    return values


def first_row(
    model: type[M],
    where: str,
    params: list[Any],
    *,
    order_by: str = "id",
    only: tuple[str, ...] | None = None,
) -> M | None:
    """The first `model` row WHERE `where` (column names, `%s` placeholders; "" for every row)
    ORDER BY the column `order_by`, loaded as the ORM loads it (`only`: those columns, the
    others deferred); None when there is none."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`, looked up on every use
    sql, converters = _select(model, where, order_by, only, True, db.vendor)
    row = _first(sql, params, db)
    if row is None:
        return None
    names = [name for name, _ in converters]
    return model.from_db(db.alias, names, _converted(row, converters, db))


def first_joined(
    chain: tuple[type[models.Model], ...],
    joins: str,
    where: str,
    params: list[Any],
    *,
    with_: str = "",
) -> tuple[models.Model | None, ...] | None:
    """The first row of `chain[0]` WHERE `where` (one round trip), with the rows of the other
    models that `joins` brings (`LEFT JOIN <table> ON …`, in table-qualified column names), each
    loaded as `first_row` loads it — None for a model the LEFT JOIN found no row of; None when
    `chain[0]` has no such row. For a `where` naming at most one row (a unique column).
    `with_`: a WITH clause put before the SELECT (its placeholders first in `params`), say a
    data-modifying one named as `chain[0]`'s table, whose RETURNING rows are then what is read
    (PostgreSQL)."""
    db = connections[DEFAULT_DB_ALIAS]
    cache_key = (chain, joins, where, with_, db.vendor)
    cached = _JOINED.get(cache_key)
    if cached is None:
        parts = [_columns(model) for model in chain]
        table = connection.ops.quote_name(chain[0]._meta.db_table)
        sql = (
            f"{with_ + ' ' if with_ else ''}"
            f"SELECT {', '.join(columns for columns, _ in parts)} FROM {table} {joins} "
            f"WHERE {where} LIMIT 1"
        )
        cached = (sql, [converters for _, converters in parts])
        _JOINED[cache_key] = cached
    sql, per_model = cached
    row = _first(sql, params, db)
    if row is None:
        return None
    return _loaded(chain, per_model, row, db)


def first_rows(
    reads: tuple[tuple[type[models.Model], str], ...],
    params: list[Any],
    *,
    lists: tuple[tuple[type[models.Model], str, str, str], ...] = (),
) -> tuple[Any, ...]:
    """`first_row(model, where, …)` (ORDER BY id) of each `(model, where)` in `reads`, in one
    statement and one round trip: each row loaded as `first_row` loads it, None for a read
    that found none. `params` are every `where`'s placeholders' values, in order.

    `lists`: `(model, attname, where, order_by)` each — `column_values` of it, its
    placeholders' values after the reads' in `params` —, returned after the rows as lists; on
    PostgreSQL in the same statement (an `ARRAY(SELECT …)` each), elsewhere read apart."""
    db = connections[DEFAULT_DB_ALIAS]
    vendor = db.vendor
    arrays = vendor == "postgresql"  # a column's rows read as one array value
    cache_key = (reads, lists, vendor)
    cached = _MANY.get(cache_key)
    if cached is None:
        qn = connection.ops.quote_name
        selected, joins, per_model = [], [], []
        for index, (model, where) in enumerate(reads):
            alias = f"r{index}"
            inner, _converters = _select(model, where, "id", None, True, vendor)
            selected += [f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields]
            joins.append(f"LEFT JOIN ({inner}) {alias} ON 1 = 1")
            per_model.append(_converters)
        for index, (model, attname, where, order_by) in enumerate(lists if arrays else ()):
            table = qn(model._meta.db_table)
            [field] = [f for f in model._meta.concrete_fields if f.attname == attname]
            column = f"{table}.{qn(field.column)}"
            inner = f"SELECT {column} FROM {table} WHERE {where} ORDER BY {qn(order_by)}"
            selected.append(f"l{index}.v")
            joins.append(f"LEFT JOIN (SELECT ARRAY({inner}) AS v) l{index} ON 1 = 1")
        sql = f"SELECT {', '.join(selected)} FROM (SELECT 1 AS one) one {' '.join(joins)}"
        cached = (sql, per_model)
        _MANY[cache_key] = cached
    sql, per_model = cached
    if not lists:
        return _loaded(tuple(m for m, _ in reads), per_model, _first(sql, params, db), db)
    used = sum(where.count("%s") for _model, where in reads)
    row = _first(sql, params if arrays else params[:used], db)
    assert row is not None  # (SELECT 1) LEFT JOIN …: always one row
    width = sum(len(converters) for converters in per_model)
    loaded = _loaded(tuple(model for model, _ in reads), per_model, row[:width], db)
    found: list[list[Any]] = []
    for index, (model, attname, where, order_by) in enumerate(lists):
        count = where.count("%s")
        if arrays:
            values = row[width + index] or []
            _sql, converters = _select(model, where, order_by, (attname,), False, vendor)
            at = [name for name, _ in converters].index(attname)
            found.append([_converted_one(v, converters[at][1], db) for v in values])
        else:
            found.append(
                column_values(model, attname, where, params[used : used + count], order_by=order_by)
            )
        used += count
    return (*loaded, *found)


def _converted_one(value: Any, converters: list[Any], db: Any) -> Any:
    for convert, col in converters:
        value = convert(value, col, db)
    return value


def _loaded(
    chain: tuple[type[models.Model], ...],
    per_model: list[list[tuple[str, list[Any]]]],
    row: Any,
    db: Any,
) -> tuple[models.Model | None, ...]:
    """One instance per model of `chain` from its columns of `row` (None where its key is
    NULL: a LEFT JOIN that found no row)."""
    loaded: list[models.Model | None] = []
    start = 0
    for model, converters in zip(chain, per_model, strict=True):
        values = row[start : start + len(converters)]
        start += len(converters)
        names = [name for name, _ in converters]
        if values[names.index(model._meta.pk.attname)] is None:
            loaded.append(None)
            continue
        loaded.append(model.from_db(db.alias, names, _converted(values, converters, db)))
    return tuple(loaded)


def column_values(
    model: type[models.Model], attname: str, where: str, params: list[Any], *, order_by: str
) -> list[Any]:
    """The column `attname` of every `model` row WHERE `where`, ORDER BY the column
    `order_by`, converted as the ORM converts it."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, converters = _select(model, where, order_by, (attname,), False, db.vendor)
    index = [name for name, _ in converters].index(attname)
    return [_converted(row, converters, db)[index] for row in _every(sql, params)]


def insert_statement(model: type[models.Model]) -> tuple[str, list[Any]]:
    """The INSERT of a new `model` row (every concrete column but the primary key, which it
    returns), and those fields in order: built once per model and database vendor."""
    cache_key = (model, connection.vendor)
    cached = _INSERTS.get(cache_key)
    if cached is None:
        meta = model._meta
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}"
        )
        cached = (sql, fields)
        _INSERTS[cache_key] = cached
    return cached


def row_insert(instance: M) -> M:
    """INSERT `instance` (not saved yet, its primary key automatic) as
    `save(force_insert=True)` would, from a statement compiled once; returns it saved."""
    model = type(instance)
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`, looked up on every use
    sql, plan, plain = _row_plan(model, db.vendor)
    values = [getattr(instance, attname) for _field, attname, _kept in plan]
    if instance.pk is not None or any(
        type(value) not in _PLAIN and hasattr(value, "resolve_expression") for value in values
    ):
        instance.save(force_insert=True)
        return instance
    if pre_save_send(instance) or not plain:  # a receiver may have changed them
        values = [field.pre_save(instance, True) for field, _attname, _kept in plan]
    params = [
        value if type(value) in kept else field.get_db_prep_save(value, db)
        for value, (field, _attname, kept) in zip(values, plan, strict=True)
    ]
    row = _first(sql, params)
    assert row is not None  # INSERT … RETURNING answers the row it inserted
    inserted(instance, row[0], db.alias)
    return instance


# Value types that are never SQL expressions (`resolve_expression`, left to `save()`).
_PLAIN = frozenset({str, int, bool, float, bytes, type(None)})
# Field classes whose `get_db_prep_save` returns a str or None as it is (CharField's
# `to_python`, no backend adaptation), and BooleanField's, a bool or None.
_KEEPS_TEXT = (
    models.CharField,
    models.TextField,
    models.EmailField,
    models.URLField,
    models.SlugField,
)
# (model, vendor) → (its INSERT, per field: the field, its attname, the value types its
# conversion keeps as they are; whether every field's `pre_save` for an INSERT only reads the
# attribute)
_ROW_PLANS: dict[tuple[Any, str], tuple[str, list[tuple[Any, str, frozenset[type]]], bool]] = {}


def _row_plan(
    model: type[models.Model], vendor: str
) -> tuple[str, list[tuple[Any, str, frozenset[type]]], bool]:
    """`row_insert`'s per-field work decided once per model (bench P5): a text or boolean
    value goes to the statement as it is — what `get_db_prep_save` would return —, every other
    value through `get_db_prep_save`; the attributes are read directly when every field's
    `pre_save` only reads its own. By the field's exact class: a subclass may convert
    (tests/test_fastsql.py compares the two)."""
    plan = _ROW_PLANS.get((model, vendor))
    if plan is None:
        sql, fields = insert_statement(model)
        rows = []
        for field in fields:
            kept: frozenset[type] = frozenset()
            if type(field) in _KEEPS_TEXT:
                kept = frozenset({str, type(None)})
            elif type(field) is models.BooleanField:
                kept = frozenset({bool, type(None)})
            rows.append((field, field.attname, kept))
        plain = all(plain_pre_save(field) for field in fields)
        plan = _ROW_PLANS[(model, vendor)] = (sql, rows, plain)
    return plan


def plain_pre_save(field: Any) -> bool:
    """Whether the field's `pre_save` for an INSERT only reads its attribute."""
    method = type(field).pre_save
    if method is models.Field.pre_save:
        return True
    dated = (models.DateField.pre_save, models.DateTimeField.pre_save)
    return method in dated and not (field.auto_now or field.auto_now_add)


def pre_save_send(instance: models.Model) -> bool:
    """`pre_save` for a new row, as `save(force_insert=True)` sends it (when anything listens);
    whether it was sent."""
    model = type(instance)
    if not signals.pre_save.has_listeners(model):
        return False
    signals.pre_save.send(
        sender=model, instance=instance, raw=False, using=connection.alias, update_fields=None
    )
    return True


def inserted(instance: models.Model, pk: Any, alias: str | None = None) -> None:
    """Mark `instance` saved with its new `pk`, and send `post_save` (created) as `save()` does;
    `alias`: the default connection's, when the caller has it."""
    model = type(instance)
    if alias is None:
        alias = connection.alias
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = alias
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=alias,
        )
