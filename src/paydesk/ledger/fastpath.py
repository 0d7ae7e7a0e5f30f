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
  `Model.save` behaviour it mirrors changes. A reference drawn before does not fail it: the
  INSERT (`ON CONFLICT (reference) DO NOTHING`) then writes nothing, and it is sent again with
  a new reference (tests/ledger/test_reference_drawn_twice.py).

- `rows_insert` INSERTs many rows of a model at once — by COPY on PostgreSQL (ids drawn from
  the table's sequence first), multi-row statements elsewhere: imported history
  (ledger/imports.py) and the imports app's origin rows.

Only paydesk.ledger (and `rows_insert`, paydesk.imports) calls this module.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, router

from paydesk.errors import PaymentError
from paydesk.fastsql import (
    execute_hot,
    insert_statement,
    inserted,
    plain_pre_save,
    pre_save_send,
)
from paydesk.ledger.hooks import (
    NEW_PAYMENT,
    PaymentChange,
    created_inserts,
    created_listeners_tell,
)
from paydesk.ledger.models import Payment
from paydesk.money import to_storage_units
from paydesk.references import new_payment_reference

# (vendor) → how a new payment row is INSERTed: its statement, a getter of its fields' values
# (one C call) when every field's `pre_save` only reads the attribute, and each field's
# conversion kind (`_KINDS`): built once, not per posting (bench P1).
_INSERT_PLANS: dict[str, tuple[str, list[Any], Any, tuple[str, ...]]] = {}

# Value types that are never SQL expressions (`resolve_expression`): the check `save()` leaves
# to the fast path is then one set lookup per value. The choices' enums (PaymentStatus…) join
# when first met.
_PLAIN_TYPES = {str, int, bool, Decimal, datetime, type(None)}


def _expression_in(values: Any) -> bool:
    """Whether any of `values` is an SQL expression, as `save()` asks (`resolve_expression`);
    an Enum type (a choices' member) found to be none is then taken as plain."""
    found = False
    for value in values:
        kind = type(value)
        if kind in _PLAIN_TYPES:
            continue
        if hasattr(value, "resolve_expression"):
            found = True
        elif issubclass(kind, enum.Enum) and not hasattr(kind, "resolve_expression"):
            _PLAIN_TYPES.add(kind)
    return found


def _kind(field: Any) -> str:
    """How the fast path converts a field's value, each kind exactly as `get_db_prep_save`:

    - "text": a CharField/TextField, whose conversion leaves a str (or a choices' member) as
      it is;
    - "bool": a BooleanField, which leaves a bool as it is;
    - "amount": an AmountField, whose conversion of a Decimal is `to_storage_units` and the
      backend's integer adaptation (`adapt_integerfield_value`);
    - "datetime": a DateTimeField (converted once per datetime object: one posting's times
      are one object);
    - "other": `get_db_prep_save` itself.
    Any other value (None aside) of the first three goes to `get_db_prep_save`."""
    from paydesk.fields import AmountField

    if type(field) in (models.CharField, models.TextField):
        return "text"
    if type(field) is models.BooleanField:
        return "bool"
    if type(field) is AmountField and field.get_internal_type() == _AMOUNT_INTERNAL:
        return "amount"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    return "other"


_AMOUNT_INTERNAL = "BigIntegerField"  # AmountField's internal type, checked in _kind


# How many references a new payment may draw. Each draw is taken with a chance of about
# payments / 2**50 (once in tens of millions of payments, a carrier's lifetime), so a third
# draw taken says the random source is broken, not unlucky.
REFERENCE_DRAWS = 3


def _insert_plan(vendor: str) -> tuple[str, list[Any], Any, tuple[str, ...]]:
    plan = _INSERT_PLANS.get(vendor)
    if plan is None:
        sql, fields = insert_statement(Payment)
        # A reference drawn before makes the INSERT write nothing and return no row (the
        # conflict target is the reference's unique index only: a used idempotency key or
        # gateway reference still raises IntegrityError). No savepoint is needed to draw again:
        # the caller's transaction is not broken (the API's requests take none, bench P5).
        # SQLite has this upsert with RETURNING since 3.35, as RETURNING itself.
        head, returning = sql.rsplit(" RETURNING ", 1)
        reference = connections[DEFAULT_DB_ALIAS].ops.quote_name("reference")
        sql = f"{head} ON CONFLICT ({reference}) DO NOTHING RETURNING {returning}"
        getter = None
        if all(plain_pre_save(f) for f in fields):
            getter = operator.attrgetter(*(f.attname for f in fields))
        plan = (sql, fields, getter, tuple(_kind(f) for f in fields))
        _INSERT_PLANS[vendor] = plan
    return plan


# Payment's concrete fields as `payment_new` reads them: field name and attname → (position,
# the related model and its key's attname for a foreign key named by its field name, else
# None, the field).
_NEW_PLAN: dict[str, tuple[int, tuple[Any, str] | None, Any]] = {}
_UNSET = object()


def _new_plan() -> dict[str, tuple[int, tuple[Any, str] | None, Any]]:
    if not _NEW_PLAN:
        for index, f in enumerate(Payment._meta.concrete_fields):
            relation = None
            if isinstance(f, models.ForeignKey):
                model = f.related_model
                assert not isinstance(model, str)  # "self" only until the apps are loaded
                relation = (model, f.target_field.attname)
            _NEW_PLAN[f.attname] = (index, None, f)
            _NEW_PLAN[f.name] = (index, relation, f)
    return _NEW_PLAN


def payment_new(**values: Any) -> Payment:
    """`Payment(**values)` (fields by name, related objects or None for the foreign keys, every
    field not named at its default), built through the positional constructor, the one
    `Model.from_db` uses; each named related object is cached on the instance as assigning it
    caches it, so reading it back costs no query."""
    plan = _new_plan()
    fields = Payment._meta.concrete_fields
    args: list[Any] = [_UNSET] * len(fields)
    related = []
    unknown = []
    for name, value in values.items():
        entry = plan.get(name)
        if entry is None:
            unknown.append(name)
            continue
        index, relation, field = entry
        if args[index] is not _UNSET:  # a field given by name and by attname: as Payment(**)
            unknown.append(field.attname)
            continue
        if relation is not None:
            model, key = relation
            if value is not None and not isinstance(value, model):
                raise ValueError(f"Payment.{name} must be a {model.__name__} instance.")
            related.append((field, value))
            value = None if value is None else getattr(value, key)
        args[index] = value
    if unknown:
        raise TypeError(f"Payment has no field {', '.join(unknown)}.")
    for index, value in enumerate(args):
        if value is _UNSET:
            args[index] = fields[index].get_default()
    payment = Payment(*args)
    for field, value in related:
        field.set_cached_value(payment, value)
        if value is not None and payment._state.db is None:  # as assigning it does
            payment._state.db = router.db_for_write(Payment, instance=value)
    return payment


def payment_row_insert(
    payment: Payment,
    change: PaymentChange | None = None,
    *,
    companion: Callable[[Payment], list[tuple[str, list[Any]]]] | None = None,
) -> tuple[str, ...]:
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
    of the listeners so told. `companion(payment)`: the caller's own statements naming it (an
    INSERT … SELECT … FROM new_payment, an UPDATE … FROM new_payment: the ledger's audit entry,
    a voucher's link to its payment), sent last in the same statement on PostgreSQL, asked
    again for each reference drawn; never asked elsewhere — then they are the caller's to
    write.

    A reference already taken makes the statement write nothing (the payment's INSERT is `ON
    CONFLICT (reference) DO NOTHING`, the listeners' INSERTs select from its rows): the payment
    is given a new reference and the statement sent again, at most REFERENCE_DRAWS in all, then
    PaymentError. The balance UPDATE that came before is not repeated.
    """
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`, looked up on every use
    sql, fields, getter, kinds = _insert_plan(db.vendor)
    values = (
        getter(payment) if getter is not None else [getattr(payment, f.attname) for f in fields]
    )
    if not _PLAIN_TYPES.issuperset(map(type, values)) and _expression_in(values):
        payment.save(force_insert=True)
        return ()
    if pre_save_send(payment) or getter is None:  # a receiver may have changed them
        values = [f.pre_save(payment, True) for f in fields]
    params = []
    converted: dict[int, Any] = {}  # one datetime in several columns is converted once
    for value, kind, field in zip(values, kinds, fields, strict=True):
        if value is None:
            pass
        elif kind == "text":
            if not isinstance(value, str):
                value = field.get_db_prep_save(value, db)
        elif kind == "amount" and type(value) is Decimal:
            value = db.ops.adapt_integerfield_value(to_storage_units(value), _AMOUNT_INTERNAL)
        elif kind == "datetime":
            key = id(value)
            if key not in converted:
                converted[key] = field.get_db_prep_save(value, db)
            value = converted[key]
        elif kind != "bool" or type(value) is not bool:
            value = field.get_db_prep_save(value, db)
        params.append(value)
    told: tuple[str, ...] = ()
    own = len(params)
    if db.vendor == "postgresql":
        companions: list[tuple[str, list[Any]]] = []
        if change is not None:
            told, companions = created_inserts(change)
        if companion is not None:
            companions = [*companions, *companion(payment)]
        if companions:
            sql = _with_companions(sql, tuple(c_sql for c_sql, _params in companions))
            for _c_sql, c_params in companions:
                params += c_params
    else:
        companion = None  # elsewhere the caller writes its own statements
    row = execute_hot(sql, params, db=db)
    if row is None:  # the reference was drawn before: nothing was written
        listeners = change if told else None
        row = _insert_redrawn(payment, listeners, companion, sql, params[:own], fields, db)
    inserted(payment, row[0], db.alias)
    if change is not None and db.vendor != "postgresql":
        told = created_listeners_tell(change)
    return told


def _insert_redrawn(
    payment: Payment,
    change: PaymentChange | None,
    companion: Callable[[Payment], list[tuple[str, list[Any]]]] | None,
    sql: str,
    params: list[Any],
    fields: list[Any],
    db: Any,
) -> tuple[Any, ...]:
    """Send the payment's statement again under newly drawn references (its listeners' rows,
    with `change`, and the `companion`'s rebuilt: they name the reference) until one is not
    taken; the statement's row, or PaymentError after REFERENCE_DRAWS draws in all."""
    index = [f.attname for f in fields].index("reference")
    for _draw in range(REFERENCE_DRAWS - 1):
        payment.reference = params[index] = new_payment_reference()
        companions = created_inserts(change)[1] if change is not None else []
        if companion is not None:
            companions = [*companions, *companion(payment)]
        row = execute_hot(sql, params + [v for _sql, c in companions for v in c], db=db)
        if row is not None:
            return row
    raise PaymentError(
        "No unused payment reference could be drawn, so nothing was recorded. Please try again."
    )


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
