"""Database guards for issued documents, like the ledger's (ledger/guards.py):

- an issued invoice or credit note is never updated or deleted (a credit note corrects it);
- a document's number is the next one of its series and year (the highest so far plus one) and
  the one its counter has just reached: no gap, no duplicate, no number taken outside the counter;
- a counter only moves forward by one and is never deleted.

Installed by migrations; `flush` (erasing a whole test database) lifts them inside its own
transaction and puts them back before committing, as it does the ledger's.
"""

from __future__ import annotations

from typing import Any

from paydesk.dbguards import Guards

MESSAGE_FINAL = "paydesk: issued documents are final"
MESSAGE_NUMBER = "paydesk: a document takes the next number of its series"
MESSAGE_COUNTER = "paydesk: a document counter only moves forward by one"

DOCUMENTS = "documents_document"
COUNTERS = "documents_documentcounter"

_NOT_NEXT = f"""
    NEW.number <> COALESCE((SELECT MAX(number) FROM {DOCUMENTS}
                            WHERE series = NEW.series AND year = NEW.year), 0) + 1
    OR NOT EXISTS (SELECT 1 FROM {COUNTERS}
                   WHERE series = NEW.series AND year = NEW.year AND last_number = NEW.number)"""

_SQLITE = {
    "paydesk_document_update": f"""
        CREATE TRIGGER paydesk_document_update BEFORE UPDATE ON {DOCUMENTS}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FINAL}'); END""",
    "paydesk_document_delete": f"""
        CREATE TRIGGER paydesk_document_delete BEFORE DELETE ON {DOCUMENTS}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FINAL}'); END""",
    "paydesk_document_number": f"""
        CREATE TRIGGER paydesk_document_number BEFORE INSERT ON {DOCUMENTS}
        WHEN {_NOT_NEXT}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_NUMBER}'); END""",
    "paydesk_counter_update": f"""
        CREATE TRIGGER paydesk_counter_update BEFORE UPDATE ON {COUNTERS}
        WHEN NEW.last_number <> OLD.last_number + 1 OR NEW.series <> OLD.series
             OR NEW.year <> OLD.year
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_COUNTER}'); END""",
    "paydesk_counter_delete": f"""
        CREATE TRIGGER paydesk_counter_delete BEFORE DELETE ON {COUNTERS}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_COUNTER}'); END""",
}

_POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION paydesk_document_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION '{MESSAGE_FINAL}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF {_NOT_NEXT} THEN
        RAISE EXCEPTION '{MESSAGE_NUMBER}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION paydesk_counter_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_number <> OLD.last_number + 1
       OR NEW.series <> OLD.series OR NEW.year <> OLD.year THEN
        RAISE EXCEPTION '{MESSAGE_COUNTER}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
"""

_POSTGRES_TRIGGERS = {
    "paydesk_document_guard": (
        DOCUMENTS,
        f"""CREATE TRIGGER paydesk_document_guard BEFORE INSERT OR UPDATE OR DELETE ON {DOCUMENTS}
        FOR EACH ROW EXECUTE FUNCTION paydesk_document_guard()""",
    ),
    "paydesk_counter_guard": (
        COUNTERS,
        f"""CREATE TRIGGER paydesk_counter_guard BEFORE UPDATE OR DELETE ON {COUNTERS}
        FOR EACH ROW EXECUTE FUNCTION paydesk_counter_guard()""",
    ),
}


GUARDS = Guards(
    what="document guards",
    sqlite=_SQLITE,
    postgres_functions=_POSTGRES_FUNCTIONS,
    postgres=_POSTGRES_TRIGGERS,
)


def install(connection: Any) -> None:
    """Create every guard on a Django connection (idempotent: existing ones are replaced)."""
    GUARDS.install(connection)


def uninstall(connection: Any) -> None:
    """Drop every guard. Only migrations and `flush` call this."""
    GUARDS.uninstall(connection)


def install_migration(apps: Any, schema_editor: Any) -> None:
    install(schema_editor.connection)


def uninstall_migration(apps: Any, schema_editor: Any) -> None:
    uninstall(schema_editor.connection)
