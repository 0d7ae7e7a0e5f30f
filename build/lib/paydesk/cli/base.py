"""What every `paydesk` staff command shares: actions as subcommands, `--json`, one-line errors,
and finding customers and payments by what a person types.

Errors never end in a traceback. A PaydeskError (or a database error) is written to stderr as one
line, `error: --total: 'abc' is not a number like 1234.56.`, or with `--json` as
`{"error": {"code": …, "message": …, "field": …}}`, and the exit status is 1 (argparse usage
errors exit with 2). Called through `call_command`, the same text goes to the command's stderr and
a CommandError is raised. `--traceback` (before the action) shows the full trace instead.

This module never writes to the database.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from paydesk.accounts.models import Customer, User
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment
from paydesk.references import canonical_payment_reference


class NotFound(PaydeskError):
    """The customer or payment named on the command line does not exist."""

    code = "not_found"


def customer_lookup(text: str) -> Customer:
    """A customer by numeric id or by slug."""
    value = (text or "").strip()
    customer = None
    if value.isdigit():
        customer = Customer.objects.filter(pk=int(value)).first()
    if customer is None and value:
        customer = Customer.objects.filter(slug=value).first()
    if customer is None:
        raise NotFound(f"No customer with id or slug '{text}'.", field="customer")
    return customer


def payment_lookup(text: str) -> Payment:
    """A payment by its public reference (typed loosely: case, hyphens, O/0) or numeric id."""
    value = (text or "").strip()
    payment = None
    reference = canonical_payment_reference(value)
    if reference is not None:
        payment = Payment.objects.filter(reference=reference).first()
    if payment is None and value.isdigit():
        payment = Payment.objects.filter(pk=int(value)).first()
    if payment is None:
        raise NotFound(f"No payment with reference or id '{text}'.", field="payment")
    return payment


def staff_lookup(email: str | None) -> User | None:
    """The active staff member acting through `--as`, or None: the system itself."""
    if not email:
        return None
    user = (
        User.objects.filter(email__iexact=email.strip(), is_active=True)
        .exclude(staff_role="")
        .first()
    )
    if user is None:
        raise NotFound(f"No active staff user with the email '{email}'.", field="as")
    return user


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> str:
    """A plain text table; columns in `right` (by index) are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


class PaydeskCommand(BaseCommand):
    """A management command whose actions are argparse subcommands (`customers create …`).

    Subclasses implement `add_actions(add)`, where `add(name, handler, help)` returns the
    action's parser (already carrying `--json`). Commands without actions override
    `add_arguments` and `handle` as usual and call `self.add_json(parser)`.
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="ACTION", title="actions"
        )

        def add(
            name: str, handler: Callable[[dict[str, Any]], None], help: str, epilog: str = ""
        ) -> argparse.ArgumentParser:
            action = actions.add_parser(
                name,
                help=help,
                description=help,
                epilog=epilog or None,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            action.set_defaults(handler=handler)
            self.add_json(action)
            return action

        self.add_actions(add)

    def add_actions(self, add: Callable[..., argparse.ArgumentParser]) -> None:
        raise NotImplementedError

    @staticmethod
    def add_json(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            help="print JSON (money as exact decimal strings) instead of text",
        )

    @staticmethod
    def add_actor(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--as",
            dest="actor",
            metavar="STAFF_EMAIL",
            help="act as this staff user: their role is checked and the action is written to "
            "the audit log (default: the system itself, not audited)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        options["handler"](options)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except (PaydeskError, DatabaseError) as exc:
            if options.get("traceback"):
                raise
            message = self.report_error(exc, as_json=bool(options.get("json")))
            if getattr(self, "_called_from_command_line", False):
                sys.exit(1)
            raise CommandError(message, returncode=1) from exc

    def report_error(self, exc: Exception, *, as_json: bool) -> str:
        """Write `exc` to stderr as one line (or one JSON object); return the message."""
        if isinstance(exc, PaydeskError):
            code, message, field = exc.code, exc.message, exc.field
        else:
            code, message, field = "database_error", f"Database error: {exc}".strip(), None
        message = " ".join(message.split())
        if as_json:
            payload = {"error": {"code": code, "message": message, "field": field}}
            self.stderr.write(json.dumps(payload), style_func=lambda text: text)
        else:
            where = f"--{field.replace('_', '-')}: " if field else ""
            self.stderr.write(f"error: {where}{message}")
        return message

    def emit(self, options: dict[str, Any], data: Any, text: str) -> None:
        """Print `data` as JSON with --json, otherwise `text`."""
        if options.get("json"):
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            self.stdout.write(text)
