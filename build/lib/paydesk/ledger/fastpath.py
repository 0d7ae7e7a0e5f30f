"""The ledger's fast path: the two statements every posting sends (the balance UPDATE and the
payment INSERT), run with as little per-call work as Django allows (bench/ P1).

- `execute_hot` runs one of them; on PostgreSQL through a prepared, server-side-binding psycopg
  cursor on Django's own connection (docs/decisions.md, PAYDESK_PG_PREPARED).
- `payment_row_insert` INSERTs a new Payment exactly as `save(force_insert=True)` would (the
  same signals, the same `pre_save` and `get_db_prep_save` conversions, the same columns) from
  one statement compiled once per database vendor. tests/ledger/test_fastpath.py fails if the
  `Model.save` behaviour it mirrors changes.

Only paydesk.ledger.services calls this module.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, models
from django.db.models import signals

from paydesk.ledger.models import Payment


def execute_hot(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """Run one of the two statements every posting sends (balance UPDATE, payment INSERT) and
    return its first row.

    On PostgreSQL (unless PAYDESK_PG_PREPARED is off) it goes through a server-side-binding
    psycopg cursor on Django's own connection, inside the caller's transaction, with
    `prepare=True`: PostgreSQL parses and plans it once per connection instead of on every
    payment, as any plain psycopg program's repeated statements are (bench P1's floor). Django's
    default client-side-binding cursor cannot prepare. Elsewhere, Django's cursor.
    """
    if connection.vendor == "postgresql" and settings.PAYDESK_PG_PREPARED:
        connection.ensure_connection()
        # Errors become Django's (IntegrityError…), exactly as through Django's own cursor.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()



# (vendor) → the INSERT statement of a new payment row, and its fields in order, each with its
# kind: "text" (a str is stored as it is), "datetime" or "other".
_INSERT_STATEMENTS: dict[str, tuple[str, list[tuple[Any, str]]]] = {}


def _insert_statement() -> tuple[str, list[tuple[Any, str]]]:
    cached = _INSERT_STATEMENTS.get(connection.vendor)
    if cached is None:
        meta = Payment._meta
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}"
        )
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


def payment_row_insert(payment: Payment) -> None:
    """INSERT a new payment row, as `save(force_insert=True)` would, in one statement.

    The same signals (pre_save, then post_save, when anything listens), the same columns,
    values and conversions (`pre_save`, `get_db_prep_save`), the same constraints and triggers;
    only the ORM's per-call SQL compilation is skipped, which was a third of the cost of posting
    a payment (bench/ P1). A value that is an SQL expression (a db_default, say) is left to
    `save()`.
    """
    sql, fields = _insert_statement()
    if any(hasattr(getattr(payment, f.attname), "resolve_expression") for f, _kind in fields):
        payment.save(force_insert=True)
        return
    if signals.pre_save.has_listeners(Payment):
        signals.pre_save.send(
            sender=Payment, instance=payment, raw=False, using=connection.alias, update_fields=None
        )
    params = []
    converted: dict[int, Any] = {}  # one datetime in several columns is converted once
    for field, kind in fields:
        value = field.pre_save(payment, True)
        if value is None or (kind == "text" and isinstance(value, str)):
            params.append(value)
            continue
        if kind == "datetime":
            if id(value) not in converted:
                converted[id(value)] = field.get_db_prep_save(value, connection)
            value = converted[id(value)]
        else:
            value = field.get_db_prep_save(value, connection)
        params.append(value)
    payment.pk = execute_hot(sql, params)[0]
    payment._state.adding = False
    payment._state.db = connection.alias
    if signals.post_save.has_listeners(Payment):
        signals.post_save.send(
            sender=Payment,
            instance=payment,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )
