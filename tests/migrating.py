"""Running a data migration again in a test: back to the state before it, then forward."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_back_and_forth(before: list[tuple[str, str]], after: list[tuple[str, str]]) -> None:
    """Unapply down to `before`, then apply up to `after` (a fresh graph: the first run changed
    the applied set), on the test database as it stands."""
    MigrationExecutor(connection).migrate(before)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
