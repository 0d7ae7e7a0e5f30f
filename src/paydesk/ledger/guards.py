"""Database guards for the ledger's invariants: triggers that no code path can bypass.

- A completed or cancelled payment is final: any UPDATE of it is refused.
- A payment never moves to another customer; a payment is never deleted.
- A customer's currency never changes.
- An audit entry is never updated or deleted.

Installed by migrations. `flush` (erasing a whole test database) lifts them inside its own
transaction and puts them back before committing; nothing else does.
"""

from __future__ import annotations

from typing import Any

MESSAGE_FINAL = "paydesk: completed and cancelled payments are final"
MESSAGE_CUSTOMER = "paydesk: a payment cannot move to another customer"
MESSAGE_DELETE = "paydesk: payments are never deleted"
MESSAGE_CURRENCY = "paydesk: the currency of a customer cannot change"
MESSAGE_AUDIT = "paydesk: the audit log is append-only"

_SQLITE_GUARDS = {
    "paydesk_payment_final": f"""
        CREATE TRIGGER paydesk_payment_final BEFORE UPDATE ON ledger_payment
        WHEN OLD.status <> 'pending'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FINAL}'); END""",
    "paydesk_payment_customer": f"""
        CREATE TRIGGER paydesk_payment_customer BEFORE UPDATE OF customer_id ON ledger_payment
        WHEN NEW.customer_id <> OLD.customer_id
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_CUSTOMER}'); END""",
    "paydesk_payment_delete": f"""
        CREATE TRIGGER paydesk_payment_delete BEFORE DELETE ON ledger_payment
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_DELETE}'); END""",
    "paydesk_customer_currency": f"""
        CREATE TRIGGER paydesk_customer_currency BEFORE UPDATE OF currency ON accounts_customer
        WHEN NEW.currency <> OLD.currency
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_CURRENCY}'); END""",
    "paydesk_audit_update": f"""
        CREATE TRIGGER paydesk_audit_update BEFORE UPDATE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_AUDIT}'); END""",
    "paydesk_audit_delete": f"""
        CREATE TRIGGER paydesk_audit_delete BEFORE DELETE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_AUDIT}'); END""",
}

_POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION paydesk_payment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{MESSAGE_DELETE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'pending' THEN
        RAISE EXCEPTION '{MESSAGE_FINAL}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.customer_id <> OLD.customer_id THEN
        RAISE EXCEPTION '{MESSAGE_CUSTOMER}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION paydesk_customer_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.currency <> OLD.currency THEN
        RAISE EXCEPTION '{MESSAGE_CURRENCY}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION paydesk_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE_AUDIT}' USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""

_POSTGRES_GUARDS = {
    "paydesk_payment_guard": """
        CREATE TRIGGER paydesk_payment_guard BEFORE UPDATE OR DELETE ON ledger_payment
        FOR EACH ROW EXECUTE FUNCTION paydesk_payment_guard()""",
    "paydesk_customer_guard": """
        CREATE TRIGGER paydesk_customer_guard BEFORE UPDATE OF currency ON accounts_customer
        FOR EACH ROW EXECUTE FUNCTION paydesk_customer_guard()""",
    "paydesk_audit_guard": """
        CREATE TRIGGER paydesk_audit_guard BEFORE UPDATE OR DELETE ON audit_auditentry
        FOR EACH ROW EXECUTE FUNCTION paydesk_audit_guard()""",
}

_POSTGRES_TABLES = {
    "paydesk_payment_guard": "ledger_payment",
    "paydesk_customer_guard": "accounts_customer",
    "paydesk_audit_guard": "audit_auditentry",
}


def install(connection: Any) -> None:
    """Create every guard on a Django connection (idempotent: existing ones are replaced)."""
    uninstall(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRES_FUNCTIONS)
            for sql in _POSTGRES_GUARDS.values():
                cursor.execute(sql)
        elif connection.vendor == "sqlite":
            for sql in _SQLITE_GUARDS.values():
                cursor.execute(sql)
        else:
            raise RuntimeError(f"Paydesk has no ledger guards for {connection.vendor}.")


def uninstall(connection: Any) -> None:
    """Drop every guard. Only migrations and `flush` call this."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in _POSTGRES_TABLES.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        elif connection.vendor == "sqlite":
            for name in _SQLITE_GUARDS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_migration(apps: Any, schema_editor: Any) -> None:
    install(schema_editor.connection)


def uninstall_migration(apps: Any, schema_editor: Any) -> None:
    uninstall(schema_editor.connection)
