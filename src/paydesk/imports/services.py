"""Importing a payments file: a plan (every line validated, nothing written; the rows wait in a
staging store on disk, imports/staging.py, so memory stays flat), then a run (one
transaction per customer, all or nothing) through the ledger's `history_post`.

`import_plan` reads the file and the customer map and refuses, by line number, anything the
ledger would not store: an unknown customer, another currency, more decimals than the currency
has, an unknown status, a date without a time zone, a completed payment dated before the
customer's latest completed one (docs/import.md). Rows already imported (same customer, format
and origin key) are counted as skipped. `import_run` writes nothing when the plan has a refusal.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, StaffRole
from paydesk.accounts.services import customer_create
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.imports.formats import ImportRefused, Refusal, SourceRow, read_rows
from paydesk.imports.mapping import Target, customer_find, read_map
from paydesk.imports.models import ImportedPayment
from paydesk.imports.staging import Staging
from paydesk.ledger.fastpath import rows_insert
from paydesk.ledger.imports import HistoryEntry, history_check, history_post, latest_completed_at
from paydesk.ledger.models import PaymentStatus
from paydesk.money import STORAGE_PLACES, currency_exponent, decimal_places

KEY_CHUNK = 1000
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
    key: str  # the customer's key in the staging store
    staging: Staging
    count: int = 0  # rows to import
    skipped: int = 0
    completed_total: Decimal = Decimal(0)  # what the completed rows to import add

    def rows(self, limit: int = -1) -> Iterator[SourceRow]:
        """The rows to import, in time order (read from the staging store, not held)."""
        return self.staging.rows(self.key, limit=limit)


@dataclass
class ImportPlan:
    file_format: str
    customers: list[CustomerPlan]
    refusals: list[Refusal]
    rows_read: int
    staging: Staging | None = None

    @property
    def new_rows(self) -> int:
        return sum(c.count for c in self.customers)

    @property
    def skipped(self) -> int:
        return sum(c.skipped for c in self.customers)

    def close(self) -> None:
        """Delete the staging store (import_run closes it when done)."""
        if self.staging is not None:
            self.staging.close()
            self.staging = None


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int
    customers: list[tuple[str, int]]  # (customer label, rows imported)


def import_plan(
    *,
    text: str | Iterable[str],
    file_format: str,
    customer_map: str | None = None,
    customer: str | None = None,
    time_zone: tzinfo | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Validate every line of `text` against the customers it goes to; write nothing.

    Rows go to `customer` (an id or slug) when given, else through `customer_map` (a file
    without a customer column then needs a map of exactly one customer). `progress(n)` is told
    of every n rows read, a thousand at a time. `text` may be an open file: it is read once,
    and the rows wait in a staging store on disk, so memory stays flat (close the plan, or
    run it, to delete the store)."""
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
    plans: dict[str, CustomerPlan] = {}
    staging = Staging()
    rows_read = 0
    for item in read_rows(text, file_format, time_zone, number_repeats=False):
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
        key = str(target.customer.pk) if target.customer is not None else f"new:{target.name}"
        if key not in plans:
            plans[key] = CustomerPlan(target, key, staging)
        staging.add(key, item, digest=item.digest)
    staging.finish()
    for plan in plans.values():
        refusals += _customer_check(plan, file_format)
    refusals.sort(key=lambda r: r.line)
    return ImportPlan(file_format, list(plans.values()), refusals, rows_read, staging)


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
    """Refuse ids twice in the file, set aside rows already imported, and refuse completed rows
    dated before the customer's latest completed payment; count what is left."""
    staging, key = plan.staging, plan.key
    refusals = [
        Refusal(line, f"Same id '{origin}' as line {first}.")
        for line, origin, first in staging.duplicates(key)
    ]
    customer = plan.target.customer
    if customer is not None and _any_imported(customer, file_format):
        staging.mark_done(key, lambda keys: _existing_keys(customer, file_format, keys), KEY_CHUNK)
        plan.skipped = staging.count(key, done=True)
    plan.count = staging.count(key)
    plan.completed_total = staging.completed_total(key, PaymentStatus.COMPLETED)
    now = timezone.now()
    refusals += [
        Refusal(
            line,
            f"Dated {at.isoformat()}, after now ({now.isoformat(timespec='seconds')}): a "
            "completed payment is imported up to now, never dated in the future "
            "(docs/import.md).",
        )
        for line, at in staging.after(key, PaymentStatus.COMPLETED, now)
    ]
    floor = latest_completed_at(customer) if customer is not None else None
    if floor is not None:
        refusals += [
            Refusal(
                line,
                f"Dated {at.isoformat()}, before {floor.isoformat()}, the "
                f"latest completed payment of {plan.target.label}: history is imported "
                "only forward in time (docs/import.md).",
            )
            for line, at in staging.before(key, PaymentStatus.COMPLETED, floor)
        ]
    return refusals


def _any_imported(customer: Customer, file_format: str) -> bool:
    return ImportedPayment.objects.filter(customer=customer, source=file_format).exists()


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
    try:
        for customer_plan in plan.customers:
            done, again = _customer_run(customer_plan, plan.file_format, actor, progress)
            imported += done
            skipped += again
            per_customer.append((customer_plan.target.label, done))
    finally:
        plan.close()
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

    pending: deque[SourceRow] = deque()  # rows handed to the ledger, waiting for their ids
    again = 0
    try:
        with transaction.atomic():
            customer = target.customer or _customer_for(target, actor)
            # Lock the customer first: a concurrent import of the same file waits here, then
            # finds this one's rows and skips them; the unique origin is the last guard.
            Customer.objects.select_for_update().filter(pk=customer.pk).first()
            recheck = _any_imported(customer, file_format)
            now, actor_id = timezone.now(), actor.pk if actor is not None else None

            def entries() -> Iterator[HistoryEntry]:
                nonlocal again
                rows = plan.rows()
                while chunk := list(islice(rows, KEY_CHUNK)):
                    done = (
                        _existing_keys(customer, file_format, [r.origin_key for r in chunk])
                        if recheck
                        else set()
                    )
                    for row in chunk:
                        if row.origin_key in done:
                            again += 1
                            continue
                        pending.append(row)
                        yield _entry(row)

            def posted(ids: list[int]) -> None:
                rows_insert(
                    ImportedPayment,
                    ORIGIN_COLUMNS,
                    [
                        (customer.pk, file_format, row.origin_key, pk, row.line, now, actor_id)
                        for row, pk in zip((pending.popleft() for _ in ids), ids, strict=True)
                    ],
                    ids=False,
                )

            history_post(
                customer=customer, entries=entries(), actor=actor, progress=step, posted=posted
            )
    except IntegrityError:
        raise ImportRefused(
            f"Rows for {target.label} were imported by another run at the same time; "
            "nothing of this customer was written. Run the import again to see what is left."
        ) from None
    return written, again
