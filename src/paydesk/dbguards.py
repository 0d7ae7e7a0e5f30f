"""Installing and dropping database guards (triggers) on SQLite and PostgreSQL: the mechanics a
guards module shares; what each guard refuses stays in its app's guards.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Guards:
    """SQLite triggers by name; PostgreSQL functions (one SQL text) and triggers by name, each
    with its table (PostgreSQL drops a trigger by name *on* its table)."""

    what: str
    sqlite: Mapping[str, str]
    postgres_functions: str
    postgres: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def install(self, connection: Any) -> None:
        """Create every guard (idempotent: existing ones are replaced)."""
        self.uninstall(connection)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(self.postgres_functions)
                for _table, sql in self.postgres.values():
                    cursor.execute(sql)
            elif connection.vendor == "sqlite":
                for sql in self.sqlite.values():
                    cursor.execute(sql)
            else:
                raise RuntimeError(f"Paydesk has no {self.what} for {connection.vendor}.")

    def uninstall(self, connection: Any) -> None:
        """Drop every guard. Only migrations and `flush` call this."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for name, (table, _sql) in self.postgres.items():
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            elif connection.vendor == "sqlite":
                for name in self.sqlite:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    def install_migration(self, apps: Any, schema_editor: Any) -> None:
        """`install` as a migration's RunPython step."""
        self.install(schema_editor.connection)

    def uninstall_migration(self, apps: Any, schema_editor: Any) -> None:
        """`uninstall` as a migration's RunPython step (the reverse of `install_migration`)."""
        self.uninstall(schema_editor.connection)
