"""Writing the audit log. Callers pass plain JSON-safe dicts; money goes in as strings."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Model, signals

from paydesk.audit.models import AuditEntry
from paydesk.fastsql import insert_statement, row_insert

M = TypeVar("M", bound=Model)


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    customer_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
    actor_email: str = "",
) -> AuditEntry:
    """Append one entry; call it inside the transaction of the action it records."""
    actor_obj = actor if getattr(actor, "pk", None) else None
    return row_insert(
        AuditEntry(
            actor=actor_obj,
            actor_email=actor_email or (getattr(actor_obj, "email", "") if actor_obj else ""),
            action=action,
            # obj.__class__, not type(obj): through a lazy object (request.user) to what it
            # wraps ("user", not "simplelazyobject").
            object_type=obj.__class__.__name__.lower() if obj is not None else "",
            object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
            customer_id=customer_id,
            before=before,
            after=after,
            ip_address=ip_address,
        )
    )


def audit_insert_selecting(
    source: str,
    *,
    action: str,
    actor: Any,
    object_type: str,
    object_id: str | None = None,
    customer_id: int | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> tuple[str, list[Any]] | None:
    """`audit_record(obj=<the row `source` returns>)` as (sql, params) of an `INSERT … SELECT …
    FROM <source>` whose object id is that row's `id` (or `object_id`, an object the statement
    does not create): for a statement that creates a row in a data-modifying WITH named
    `source` and writes the entry with it, one round trip fewer (the ledger's payment INSERT on
    PostgreSQL, bench P5). The same columns and values as `audit_record`, its `at` taken now;
    nothing is written when `source` returns no row. None when anything listens to
    AuditEntry's save signals: then call `audit_record` after."""
    if signals.pre_save.has_listeners(AuditEntry) or signals.post_save.has_listeners(AuditEntry):
        return None
    actor_obj = actor if getattr(actor, "pk", None) else None
    entry = AuditEntry(
        actor=actor_obj,
        actor_email=getattr(actor_obj, "email", "") if actor_obj else "",
        action=action,
        object_type=object_type,
        object_id=object_id or "",
        customer_id=customer_id,
        after=after,
        ip_address=ip_address,
    )
    own_id = object_id is not None
    sql, fields = _insert_selecting(source, own_id, connection.vendor)
    params = [
        f.get_db_prep_save(f.pre_save(entry, True), connection)
        for f in fields
        if own_id or f.attname != "object_id"
    ]
    return sql, params


@functools.cache
def _insert_selecting(source: str, own_id: bool, vendor: str) -> tuple[str, list[Any]]:
    """`row_insert`'s INSERT of an AuditEntry, its object_id the text of `source`'s `id`
    (a parameter with `own_id`)."""
    _sql, fields = insert_statement(AuditEntry)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(
        f"CAST({qn('id')} AS varchar(60))" if f.attname == "object_id" and not own_id else "%s"
        for f in fields
    )
    sql = f"INSERT INTO {qn(AuditEntry._meta.db_table)} ({columns}) SELECT {values} FROM {source}"
    return sql, fields


def audited_update(
    *,
    obj: M,
    changes: Mapping[str, Any],
    snapshot: Callable[[M], dict[str, Any]],
    action: str,
    actor: Any,
    customer_id: int | None = None,
    audit_unchanged: bool = False,
    refresh: bool = False,
) -> M:
    """Change `obj`'s row and record it, in one transaction: lock the row (SELECT … FOR NO KEY
    UPDATE: no key changes here), take `snapshot` of it, set `changes` (already checked by the
    caller), save those fields, take `snapshot` again and record `action` with both.

    Returns the locked, saved instance, not `obj`. A row not saved yet (no pk) is inserted.
    `refresh`: read the row back before the second snapshot (values as stored, e.g. amounts
    with the column's places). Recorded only when the snapshot changed, unless
    `audit_unchanged`; never without an acting user (the system's own changes: the seed, the
    command line as itself)."""
    with transaction.atomic():
        if obj.pk is None:
            locked = obj
        else:
            manager = type(obj)._default_manager
            locked = manager.select_for_update(no_key=True).get(pk=obj.pk)
        before = snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=(list(changes) or None) if locked.pk is not None else None)
        if refresh:
            locked.refresh_from_db()
        after = snapshot(locked)
        if actor is not None and (audit_unchanged or after != before):
            audit_record(
                action=action,
                actor=actor,
                obj=locked,
                customer_id=customer_id,
                before=before,
                after=after,
            )
    return locked
