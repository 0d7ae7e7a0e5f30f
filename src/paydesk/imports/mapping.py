"""The customer map: which Paydesk customer each of the source's customers becomes.

A CSV with a header. `external_id` (also `id`, `account`, `customer_id`) names the source's
customer as the payment file does (its id, or its name in a Paydesk back-office export); then
either `customer` (a Paydesk customer's id or slug) to import into an existing customer, or
`name` and `currency` to create one at import time (or to use the customer of exactly that
name and currency when there is one: a second run of the same import finds the customer the
first one created). Nothing here writes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from paydesk.accounts.models import Customer
from paydesk.errors import PaydeskError
from paydesk.imports.formats import Columns, Refusal
from paydesk.money import normalize_currency

MAP_COLUMNS = {
    "external": ("externalid", "external", "id", "account", "customerid", "userid", "clientid"),
    "customer": ("customer", "paydeskcustomer", "slug"),
    "name": ("name", "company"),
    "currency": ("currency",),
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where rows go: an existing customer, or one to create (name and currency)."""

    customer: Customer | None
    name: str = ""
    currency: str = ""

    @property
    def account_currency(self) -> str:
        return self.customer.currency if self.customer is not None else self.currency

    @property
    def label(self) -> str:
        if self.customer is not None:
            return f"{self.customer.name} ({self.customer.slug})"
        return f"{self.name} (new, {self.currency})"


def customer_find(text: str) -> Customer | None:
    value = (text or "").strip()
    found = None
    if value.isdigit():
        found = Customer.objects.filter(pk=int(value)).first()
    return found or (Customer.objects.filter(slug=value).first() if value else None)


def read_map(text: str) -> tuple[dict[str, Target], list[Refusal]]:
    """external id → Target, and every refusal (line 0; the message names the map's line)."""
    targets: dict[str, Target] = {}
    refusals: list[Refusal] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None) or []
    cols = Columns(header, MAP_COLUMNS)
    if cols.missing(("external",)) or (
        "customer" not in cols.at and cols.missing(("name", "currency"))
    ):
        return {}, [
            Refusal(
                0,
                "Customer map: the header needs external_id, and customer (an existing "
                "customer's id or slug) or name and currency (a customer to create).",
            )
        ]
    for cells in reader:
        where = f"Customer map, line {reader.line_num}"
        if not any(cell.strip() for cell in cells):
            continue
        external = cols.get(cells, "external")
        if external in targets:
            refusals.append(Refusal(0, f"{where}: '{external}' is mapped twice."))
            continue
        wanted = cols.get(cells, "customer")
        if wanted:
            customer = customer_find(wanted)
            if customer is None:
                refusals.append(Refusal(0, f"{where}: no Paydesk customer '{wanted}'."))
                continue
            targets[external] = Target(customer)
            continue
        name = cols.get(cells, "name")
        try:
            currency = normalize_currency(cols.get(cells, "currency"))
        except PaydeskError as exc:
            refusals.append(Refusal(0, f"{where}: {exc.message}"))
            continue
        if not name:
            refusals.append(Refusal(0, f"{where}: a customer to create needs a name."))
            continue
        # Created by an earlier run of the same import: used again, so a second run adds nothing.
        existing = Customer.objects.filter(name=name, currency=currency).order_by("pk").first()
        targets[external] = Target(existing, name=name, currency=currency)
    return targets, refusals
