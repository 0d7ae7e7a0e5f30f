"""`paydesk customers create|list`: customer accounts for scripts and operators.

Writes only through paydesk.accounts.services; never touches a balance.
"""

from __future__ import annotations

from typing import Any

from paydesk.accounts.models import Customer
from paydesk.accounts.services import customer_create
from paydesk.cli.base import PaydeskCommand, staff_lookup, table
from paydesk.cli.serialize import customer_data
from paydesk.money import format_money

CREATE_EXAMPLE = """example:
  paydesk customers create --name "Acme Telecom" --currency USD --debit-limit 100 --json"""


class Command(PaydeskCommand):
    help = "Create and list customer accounts."

    def add_actions(self, add: Any) -> None:
        create = add(
            "create",
            self.create,
            "Create a customer account with a zero balance.",
            CREATE_EXAMPLE,
        )
        create.add_argument("--name", required=True, help="company name")
        create.add_argument(
            "--currency", required=True, help="ISO 4217 code, e.g. USD; fixed for life"
        )
        create.add_argument(
            "--debit-limit",
            default="0",
            metavar="AMOUNT",
            help="allowance below zero (default 0: prepaid)",
        )
        create.add_argument(
            "--minimum-payment",
            default="0",
            metavar="AMOUNT",
            help="smallest top-up accepted (default 0)",
        )
        self.add_actor(create)
        add("list", self.list_customers, "List every customer with its balance.")

    def create(self, options: dict[str, Any]) -> None:
        customer = customer_create(
            name=options["name"],
            currency=options["currency"],
            debit_limit=options["debit_limit"],
            minimum_payment=options["minimum_payment"],
            actor=staff_lookup(options["actor"]),
        )
        self.emit(
            options,
            customer_data(customer),
            f"Created customer {customer.pk}: {customer.name} ({customer.slug}), "
            f"{customer.currency}, balance {format_money(customer.balance, customer.currency)}.",
        )

    def list_customers(self, options: dict[str, Any]) -> None:
        customers = list(Customer.objects.order_by("name", "pk"))
        rows = [
            [
                str(c.pk),
                c.name,
                c.slug,
                c.currency,
                format_money(c.balance, c.currency),
                format_money(c.debit_limit, c.currency),
            ]
            for c in customers
        ]
        text = (
            table(["ID", "Name", "Slug", "Currency", "Balance", "Debit limit"], rows, {0, 4, 5})
            if rows
            else "No customers yet."
        )
        self.emit(options, [customer_data(c) for c in customers], text)
