"""Database guards for the brand's logos, like the issued documents' (documents/guards.py):
a BrandLogo row is never updated or deleted. Issued invoices and credit notes name the logo they
were issued with by its sha256 (documents/provider.py draws it from this table), so a changed or
deleted row would change, or blank, a document already issued. A new logo is a new row.

Installed by a migration (`GUARDS.install_migration`); `flush` (erasing a whole test database)
lifts them inside its own transaction and puts them back before committing, as it does the
ledger's.
"""

from __future__ import annotations

from paydesk.dbguards import Guards

MESSAGE_FINAL = "paydesk: a brand logo is kept as issued documents show it"

LOGOS = "provider_brandlogo"

_SQLITE = {
    "paydesk_brandlogo_update": f"""
        CREATE TRIGGER paydesk_brandlogo_update BEFORE UPDATE ON {LOGOS}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FINAL}'); END""",
    "paydesk_brandlogo_delete": f"""
        CREATE TRIGGER paydesk_brandlogo_delete BEFORE DELETE ON {LOGOS}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE_FINAL}'); END""",
}

_POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION paydesk_brandlogo_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE_FINAL}' USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""

_POSTGRES_TRIGGERS = {
    "paydesk_brandlogo_guard": (
        LOGOS,
        f"""CREATE TRIGGER paydesk_brandlogo_guard BEFORE UPDATE OR DELETE ON {LOGOS}
        FOR EACH ROW EXECUTE FUNCTION paydesk_brandlogo_guard()""",
    ),
}


GUARDS = Guards(
    what="brand logo guards",
    sqlite=_SQLITE,
    postgres_functions=_POSTGRES_FUNCTIONS,
    postgres=_POSTGRES_TRIGGERS,
)
