"""`paydesk users create|create-staff`: portal users of a customer and staff accounts.

Writes only through paydesk.accounts.services. Passwords pass Django's password validators and
are never printed; without --password the password is read from the terminal (or one line of
standard input), so it need not appear in the shell history or the process list.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from paydesk.accounts.models import StaffRole
from paydesk.accounts.services import portal_user_create, staff_user_create
from paydesk.cli.base import PaydeskCommand, customer_lookup, staff_lookup
from paydesk.cli.serialize import user_data
from paydesk.errors import CustomerError

CREATE_EXAMPLE = """examples:
  paydesk users create --customer 1 --email ana@acme.example --password 'long secret phrase'
  paydesk users create --customer acme-telecom --email books@acme.example --view-only < pw.txt"""

STAFF_EXAMPLE = """example:
  paydesk users create-staff --email lee@provider.example --role finance --json"""


def _password(options: dict[str, Any]) -> str:
    if options["password"] is not None:
        return str(options["password"])
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CustomerError("Give --password, or the password on standard input.", field="password")
    return line


class Command(PaydeskCommand):
    help = "Create portal users (of a customer) and staff users."

    def add_actions(self, add: Any) -> None:
        create = add(
            "create",
            self.create,
            "Create a portal user who signs in to a customer's account.",
            CREATE_EXAMPLE,
        )
        create.add_argument("--customer", required=True, metavar="ID", help="customer id or slug")
        self._add_login(create)
        create.add_argument(
            "--view-only",
            action="store_true",
            help="may view payments but not make them nor manage billing (a bookkeeper)",
        )

        staff = add(
            "create-staff", self.create_staff, "Create a staff user with one role.", STAFF_EXAMPLE
        )
        self._add_login(staff)
        staff.add_argument(
            "--role",
            required=True,
            choices=[StaffRole.ADMIN.value, StaffRole.FINANCE.value, StaffRole.SUPPORT.value],
            help="admin: everything; finance: moves money; support: read only",
        )

    @staticmethod
    def _add_login(parser: Any) -> None:
        parser.add_argument("--email", required=True, help="sign-in email address")
        parser.add_argument(
            "--password",
            help="sign-in password (default: ask, or read one line from standard input)",
        )
        parser.add_argument("--full-name", default="", help="the person's name (optional)")
        PaydeskCommand.add_actor(parser)

    def create(self, options: dict[str, Any]) -> None:
        customer = customer_lookup(options["customer"])
        user = portal_user_create(
            customer=customer,
            email=options["email"],
            password=_password(options),
            full_name=options["full_name"],
            can_view_payments=True,
            can_make_payments=not options["view_only"],
            can_manage_billing=not options["view_only"],
            actor=staff_lookup(options["actor"]),
        )
        rights = "view only" if options["view_only"] else "view and make payments, manage billing"
        self.emit(
            options,
            user_data(user),
            f"Created portal user {user.pk}: {user.email} for {customer.name} ({rights}).",
        )

    def create_staff(self, options: dict[str, Any]) -> None:
        user = staff_user_create(
            email=options["email"],
            password=_password(options),
            role=options["role"],
            full_name=options["full_name"],
            actor=staff_lookup(options["actor"]),
        )
        self.emit(
            options,
            user_data(user),
            f"Created staff user {user.pk}: {user.email} ({user.get_staff_role_display()}).",
        )
