"""The payment log is append-only, like the audit log: a database guard no code path can bypass.

A received event's row is written when the event arrives (its id unique, so a replay or a
concurrent duplicate waits on it and finds it) with an empty result, and its result, detail and
payment are written once, in the same transaction, when Paydesk has decided (events.py
`_finish`). Any other UPDATE, and every DELETE, is refused. Installed by migrations; `flush`
lifts it inside its own transaction, as it does the ledger's guards.
"""

from __future__ import annotations

from typing import Any

MESSAGE = "paydesk: the payment log is append-only"
TABLE = "checkout_paymentlogentry"

_SQLITE = {
    "paydesk_payment_log_update": f"""
        CREATE TRIGGER paydesk_payment_log_update BEFORE UPDATE ON {TABLE}
        WHEN OLD.result <> '' OR NEW.result = '' OR NEW.event_id <> OLD.event_id
             OR NEW.gateway <> OLD.gateway OR NEW.outcome <> OLD.outcome
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    "paydesk_payment_log_delete": f"""
        CREATE TRIGGER paydesk_payment_log_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
}

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION paydesk_payment_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.result <> '' OR NEW.result = ''
       OR NEW.event_id <> OLD.event_id OR NEW.gateway <> OLD.gateway
       OR NEW.outcome <> OLD.outcome THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
"""
_POSTGRES_TRIGGER = f"""
CREATE TRIGGER paydesk_payment_log_guard BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION paydesk_payment_log_guard()"""


def install(connection: Any) -> None:
    """Create the guard on a Django connection (idempotent)."""
    uninstall(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRES_FUNCTION)
            cursor.execute(_POSTGRES_TRIGGER)
        elif connection.vendor == "sqlite":
            for sql in _SQLITE.values():
                cursor.execute(sql)
        else:
            raise RuntimeError(f"Paydesk has no payment-log guard for {connection.vendor}.")


def uninstall(connection: Any) -> None:
    """Drop the guard. Only migrations and `flush` call this."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS paydesk_payment_log_guard ON {TABLE}")
        elif connection.vendor == "sqlite":
            for name in _SQLITE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_migration(apps: Any, schema_editor: Any) -> None:
    install(schema_editor.connection)


def uninstall_migration(apps: Any, schema_editor: Any) -> None:
    uninstall(schema_editor.connection)
