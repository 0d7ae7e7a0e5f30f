"""Django's `flush`, which lifts the ledger's, the payment log's, the issued documents' and
the brand logos' guards for the erase and
restores them after.

Erasing a whole database is the one act allowed to delete payments and audit entries; test
suites run it between tests. The guards are dropped and re-created in the same transaction.
"""

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

from paydesk.checkout import guards as payment_log_guards
from paydesk.documents import guards as document_guards
from paydesk.ledger import guards
from paydesk.provider import guards as logo_guards


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            # PostgreSQL flushes with TRUNCATE, which row triggers do not see.
            super().handle(**options)
            return
        with transaction.atomic(using=options["database"]):
            guards.uninstall(connection)
            payment_log_guards.uninstall(connection)
            document_guards.uninstall(connection)
            logo_guards.GUARDS.uninstall(connection)
            super().handle(**options)
            guards.install(connection)
            payment_log_guards.install(connection)
            document_guards.install(connection)
            logo_guards.GUARDS.install(connection)
