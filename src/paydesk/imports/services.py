"""Importing a payments file: a plan (every line validated, nothing written), then a run (one
transaction per customer, all or nothing) through the ledger's `history_post`.

`import_plan` reads the file and the customer map and refuses, by line number, anything the
ledger would not store: an unknown customer, another currency, more decimals than the currency
has, an unknown status, a date without a time zone, a completed payment dated before the
customer's latest completed one (docs/import.md). Rows already imported (same customer, format
and origin key) are counted as skipped. `import_run` writes nothing when the plan has a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, StaffRole
from paydesk.accounts.services import customer_create
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.imports.formats import ImportRefused, Refusal, SourceRow, read_rows
from paydesk.imports.mapping import Target, customer_find, read_map
from paydesk.imports.models import ImportedPayment
from paydesk.ledger.fastpath import rows_insert
from paydesk.ledger.imports import HistoryEntry, history_check, history_post, latest_completed_at
from paydesk.ledger.models import PaymentStatus
from paydesk.money import STORAGE_PLACES, currency_exponent, decimal_places

KEY_CHUNK = 1000
ORIGIN_BATCH = 2000
ORIGIN_COLUMNS = [
    "customer_id",
    "source",
    "origin_key",
    "payment_id",
    "line",
    "imported_at",
    "imported_by_id",
]


@dataclass
class CustomerPlan:
    target: Target
    rows: list[SourceRow] = field(default_factory=list)  # to import, in time order
    skipped: int = 0


@dataclass
class ImportPlan:
    file_format: str
    customers: list[CustomerPlan]
    refusals: list[Refusal]
    rows_read: int

    @property
    def new_rows(self) -> int:
        return sum(len(c.rows) for c in self.customers)

    @property
    def skipped(self) -> int:
        return sum(c.skipped for c in self.customers)


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int
    customers: list[tuple[str, int]]  # (customer label, rows imported)


def import_plan(
    *,
    text: str,
    file_format: str,
    customer_map: str | None = None,
    customer: str | None = None,
    time_zone: tzinfo | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Validate every line of `text` against the customers it goes to; write nothing.

    Rows go to `customer` (an id or slug) when given, else through `customer_map` (a file
    without a customer column then needs a map of exactly one customer). `progress(n)` is told
    of every n rows read, a thousand at a time."""
    refusals: list[Refusal] = []
    targets: dict[str, Target] = {}
    single: Target | None = None
    if customer:
        found = customer_find(customer)
        if found is None:
            refusals.append(Refusal(0, f"No Paydesk customer with id or slug '{customer}'."))
        else:
            single = Target(found)
    elif customer_map is not None:
        targets, refusals = read_map(customer_map)
        if len(targets) == 1:
            single = next(iter(targets.values()))
    else:
        refusals.append(Refusal(0, "Say which customer: a customer map, or one customer."))
    plans: dict[int | str, CustomerPlan] = {}
    rows_read = 0
    for item in read_rows(text, file_format, time_zone):
        if isinstance(item, Refusal):
            rows_read += item.line > 1
            refusals.append(item)
            continue
        rows_read += 1
        if progress is not None and rows_read % 1000 == 0:
            progress(1000)
        target = targets.get(item.account) if item.account and targets else single
        if target is None:
            refusals.append(
                Refusal(item.line, f"No customer in the map for '{item.account}'.")
                if item.account
                else Refusal(
                    item.line,
                    "This line names no customer: give one customer, or a "
                    "customer map of exactly one.",
                )
            )
            continue
        problem = _row_problem(item, target, file_format)
        if problem:
            refusals.append(Refusal(item.line, problem))
            continue
        key = target.customer.pk if target.customer is not None else f"new:{target.name}"
        plans.setdefault(key, CustomerPlan(target)).rows.append(item)
    for plan in plans.values():
        refusals += _customer_check(plan, file_format)
    refusals.sort(key=lambda r: r.line)
    return ImportPlan(file_format, list(plans.values()), refusals, rows_read)


def _row_problem(row: SourceRow, target: Target, file_format: str) -> str:
    currency = target.account_currency
    if row.currency and row.currency != currency:
        return f"The row is in {row.currency}; {target.label} keeps its account in {currency}."
    places = STORAGE_PLACES if file_format == "paydesk" else currency_exponent(currency)
    if decimal_places(row.total) > places:
        return f"{row.total} has more decimals than {currency} allows ({places})."
    try:
        history_check(_entry(row))
    except PaydeskError as exc:
        return exc.message
    return ""


def _entry(row: SourceRow) -> HistoryEntry:
    return HistoryEntry(
        occurred_at=row.occurred_at,
        total=row.total,
        status=row.status,
        description=row.description,
        method=row.method,
        fee=row.fee,
    )


def _existing_keys(customer: Customer, file_format: str, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        found.update(
            ImportedPayment.objects.filter(
                customer=customer,
                source=file_format,
                origin_key__in=keys[start : start + KEY_CHUNK],
            ).values_list("origin_key", flat=True)
        )
    return found


def _customer_check(plan: CustomerPlan, file_format: str) -> list[Refusal]:
    """Drop rows already imported, put the rest in time order, refuse duplicates and rows
    dated before the customer's latest completed payment."""
    refusals: list[Refusal] = []
    rows = plan.rows
    by_key: dict[str, int] = {}
    for row in rows:
        if row.origin_key in by_key:
            refusals.append(
                Refusal(row.line, f"Same id '{row.origin_key}' as line {by_key[row.origin_key]}.")
            )
        by_key.setdefault(row.origin_key, row.line)
    customer = plan.target.customer
    if customer is not None:
        done = _existing_keys(customer, file_format, list(by_key))
        plan.skipped = sum(1 for row in rows if row.origin_key in done)
        rows = [row for row in rows if row.origin_key not in done]
    # A newest-first file (Paydesk's default) lists rows of the same second newest first too.
    if rows and rows[0].occurred_at > rows[-1].occurred_at:
        rows.reverse()
    rows.sort(key=lambda row: row.occurred_at)
    plan.rows = rows
    floor = latest_completed_at(customer) if customer is not None else None
    if floor is not None:
        for row in rows:
            if row.status == PaymentStatus.COMPLETED and row.occurred_at < floor:
                refusals.append(
                    Refusal(
                        row.line,
                        f"Dated {row.occurred_at.isoformat()}, before {floor.isoformat()}, the "
                        f"latest completed payment of {plan.target.label}: history is imported "
                        "only forward in time (docs/import.md).",
                    )
                )
    return refusals


def import_run(
    *, plan: ImportPlan, actor: Any = None, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Write the plan: one transaction per customer. Refused outright (nothing written) when
    the plan has any refusal. `progress(n)` is told of every n rows written."""
    if actor is not None and not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only an Administrator can import payments.")
    if plan.refusals:
        raise ImportRefused(
            f"{len(plan.refusals)} refusal(s) in the file: nothing was imported. "
            "Run a dry run to see them."
        )
    imported, skipped, per_customer = 0, plan.skipped, []
    for customer_plan in plan.customers:
        done, again = _customer_run(customer_plan, plan.file_format, actor, progress)
        imported += done
        skipped += again
        per_customer.append((customer_plan.target.label, done))
    return ImportResult(imported, skipped, per_customer)


def _customer_for(target: Target, actor: Any) -> Customer:
    """The customer a map row creates: made once even when two runs of the same import race
    (on PostgreSQL a transaction-scoped advisory lock on its name; SQLite runs one writer at a
    time), found again by name and currency by the second run."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"paydesk-import-customer:{target.currency}:{target.name}"],
            )
    existing = (
        Customer.objects.filter(name=target.name, currency=target.currency).order_by("pk").first()
    )
    return existing or customer_create(name=target.name, currency=target.currency, actor=actor)


def _customer_run(
    plan: CustomerPlan,
    file_format: str,
    actor: Any,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    """(rows imported, rows found already imported by a run that finished meanwhile)."""
    target = plan.target
    written = 0

    def step(count: int) -> None:
        nonlocal written
        if progress is not None:
            progress(count - written)
        written = count

    try:
        with transaction.atomic():
            customer = target.customer or _customer_for(target, actor)
            # Lock the customer first: a concurrent import of the same file waits here, then
            # finds this one's rows and skips them; the unique origin is the last guard.
            Customer.objects.select_for_update().filter(pk=customer.pk).first()
            done = _existing_keys(customer, file_format, [r.origin_key for r in plan.rows])
            rows = [row for row in plan.rows if row.origin_key not in done]
            ids = history_post(
                customer=customer, entries=map(_entry, rows), actor=actor, progress=step
            )
            now, actor_id = timezone.now(), actor.pk if actor is not None else None
            for start in range(0, len(rows), ORIGIN_BATCH):
                rows_insert(
                    ImportedPayment,
                    ORIGIN_COLUMNS,
                    [
                        (customer.pk, file_format, row.origin_key, pk, row.line, now, actor_id)
                        for row, pk in zip(
                            rows[start : start + ORIGIN_BATCH],
                            ids[start : start + ORIGIN_BATCH],
                            strict=True,
                        )
                    ],
                )
    except IntegrityError:
        raise ImportRefused(
            f"Rows for {target.label} were imported by another run at the same time; "
            "nothing of this customer was written. Run the import again to see what is left."
        ) from None
    return len(rows), len(done)
