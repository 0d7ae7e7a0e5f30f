"""Worker for P5 (top-ups under load): seed what the load needs, and check the database after.

`python -m bench.p5 seed --customers 40 --codes 12000 --out bench/var/p5-secrets.json` and
`python -m bench.p5 verify --customers 1,2,3 --batches 4 --bank-transfers N --vouchers M`, run by
bench/run.py with Paydesk's settings and DATABASE_URL pointing at the bench database (never a
real one). Everything is made through the app's own services, as an operator would:
`staff_user_create` (an Administrator, who sets the bank details with `bank_details_update`),
`customer_create` + `portal_user_create` + `api_key_create` (scope `pay`) per customer, and
`voucher_batch_issue` as the system (free-credit vouchers of 1.00 USD, single use) for the codes.

The API keys and plain voucher codes go to the --out file only (mode 0600, under bench/var/, which
run.py deletes when P5 ends); the RESULT line carries ids and counts, never a secret.

`verify` counts what the load left: bench customers' pending bank transfers and completed voucher
payments must equal the successful requests the load tool counted, the used vouchers too, each
balance must be the sum of its voucher credits, and `balance_drifts()` (what
`paydesk check-balances` runs) must find no drift anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from decimal import Decimal
from pathlib import Path

from bench.common import django_setup, emit, say

VOUCHER_CREDIT = Decimal("1.00")
CURRENCY = "USD"
BATCH_MAX = 10_000  # voucher_batch_issue's own limit per call


def seed(customers: int, codes: int, out: Path) -> dict:
    from paydesk.accounts.services import customer_create, portal_user_create, staff_user_create
    from paydesk.api.services import api_key_create
    from paydesk.banktransfers.services import bank_details_update
    from paydesk.vouchers.batches import voucher_batch_issue

    start = time.perf_counter()
    tag = f"{os.getpid()}-{int(time.time())}"
    admin = staff_user_create(
        email=f"bench-p5-admin-{tag}@example.com",
        password="bench-password-not-secret",
        role="admin",
        validate=False,
    )
    bank_details_update(
        actor=admin,
        beneficiary_name="Paydesk Bench Ltd",
        account_number="GB29 NWBK 6016 1331 9268 19",
        bank_name="Bench Bank",
        bank_address="1 Bench Street\nLondon EC1A 1AA",
        swift="NWBKGB2L",
    )
    keys, customer_ids = [], []
    for n in range(customers):
        customer = customer_create(name=f"Bench P5 customer {n}", currency=CURRENCY, actor=admin)
        user = portal_user_create(
            customer=customer,
            email=f"bench-p5-{tag}-{n}@example.com",
            password="bench-password-not-secret",
            actor=admin,
            validate=False,
        )
        _key, plain = api_key_create(user=user, name="bench P5 load", scopes=["pay"])
        keys.append(plain)
        customer_ids.append(customer.pk)
    say(
        f"  P5 seeded {customers} customers with portal users and pay-scoped API keys "
        f"in {time.perf_counter() - start:.1f} s"
    )
    plain_codes: list[str] = []
    batch_ids = []
    issued = time.perf_counter()
    while len(plain_codes) < codes:
        batch, new = voucher_batch_issue(
            count=min(BATCH_MAX, codes - len(plain_codes)),
            currency=CURRENCY,
            addition=VOUCHER_CREDIT,
            # Issued as the system (as `paydesk vouchers issue` does): a batch one person issues
            # above the credit threshold waits for a second approval, its codes refused till then.
            actor=None,
            note="bench P5",
        )
        batch_ids.append(batch.pk)
        plain_codes.extend(new)
    say(
        f"  P5 issued {len(plain_codes):,} single-use voucher codes "
        f"in {time.perf_counter() - issued:.1f} s"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"keys": keys, "codes": plain_codes}, fh)
    _analyze()
    return {
        "customer_ids": customer_ids,
        "batch_ids": batch_ids,
        "codes": len(plain_codes),
        "seconds": time.perf_counter() - start,
    }


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def verify(customer_ids: list[int], batch_ids: list[int], bank: int, vouchers: int) -> dict:
    from django.db.models import Count, Sum

    from paydesk.accounts.models import Customer
    from paydesk.ledger.models import Payment
    from paydesk.ledger.selectors import balance_drifts
    from paydesk.vouchers.models import Voucher

    rows = (
        Payment.objects.filter(customer_id__in=customer_ids)
        .values_list("method", "status")
        .annotate(n=Count("id"))
    )
    counts = {f"{method}/{status}": n for method, status, n in rows}
    bank_rows = counts.get("bank_transfer/pending", 0)
    voucher_rows = counts.get("voucher/completed", 0)
    used = Voucher.objects.filter(batch_id__in=batch_ids, status="used").count()
    balances = Customer.objects.filter(pk__in=customer_ids).aggregate(total=Sum("balance"))["total"]
    drifts = balance_drifts()
    problems = []
    if bank_rows != bank:
        problems.append(
            f"{bank_rows} pending bank transfers in the database, {bank} successful requests"
        )
    if voucher_rows != vouchers:
        problems.append(
            f"{voucher_rows} voucher payments in the database, {vouchers} successful requests"
        )
    if used != vouchers:
        problems.append(f"{used} vouchers used, {vouchers} successful redemptions")
    if balances != VOUCHER_CREDIT * vouchers:
        problems.append(
            f"bench customers' balances add up to {balances}, not {VOUCHER_CREDIT * vouchers}"
        )
    unexpected = set(counts) - {"bank_transfer/pending", "voucher/completed"}
    if unexpected:
        problems.append(f"unexpected payments: {sorted(unexpected)}")
    problems += [
        f"drift: customer {d.customer_id} stored {d.stored}, ledger {d.computed}"
        for d in drifts[:10]
    ]
    for problem in problems:
        say(f"  P5 verify: {problem}")
    return {
        "payments": counts,
        "vouchers_used": used,
        "balances_total": str(balances),
        "drifts": len(drifts),
        "problems": problems,
        "ok": not problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["seed", "verify"])
    parser.add_argument("--customers", default="40", help="seed: how many; verify: their ids")
    parser.add_argument("--codes", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--batches", default="")
    parser.add_argument("--bank-transfers", type=int, default=0)
    parser.add_argument("--vouchers", type=int, default=0)
    args = parser.parse_args()
    django_setup()
    if args.action == "seed":
        emit(seed(int(args.customers), args.codes, args.out))
    else:
        emit(
            verify(
                [int(x) for x in args.customers.split(",") if x],
                [int(x) for x in args.batches.split(",") if x],
                args.bank_transfers,
                args.vouchers,
            )
        )


if __name__ == "__main__":
    main()
