"""`paydesk balance --customer ID`: a customer's stored balance and available credit. Read only."""

from __future__ import annotations

import argparse
from typing import Any

from paydesk.cli.base import PaydeskCommand, customer_lookup
from paydesk.money import format_money, plain_amount


class Command(PaydeskCommand):
    help = "Show a customer's balance, debit limit and available credit."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--customer", required=True, metavar="ID", help="customer id or slug")
        self.add_json(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        customer = customer_lookup(options["customer"])
        currency = customer.currency
        amounts = {
            "balance": customer.balance,
            "debit_limit": customer.debit_limit,
            "available_credit": customer.available_credit,
        }
        data = {
            "customer_id": customer.pk,
            "customer": customer.name,
            "currency": currency,
            **{key: plain_amount(value, currency) for key, value in amounts.items()},
        }
        text = "\n".join(
            [
                f"{customer.name} ({customer.slug}, id {customer.pk})",
                f"Balance:          {format_money(amounts['balance'], currency)}",
                f"Debit limit:      {format_money(amounts['debit_limit'], currency)}",
                f"Available credit: {format_money(amounts['available_credit'], currency)}",
            ]
        )
        self.emit(options, data, text)
