"""Worker for P1's peer: django-hordak posting the same amounts as Paydesk's service.

`python -m bench.peers.hordak_post migrate` once, then `… serve`: one bank (asset) account and
customer (liability) accounts made for this run — one for the `one` shape, `--many` for the
other. Each top-up is `customer_account.transfer_to(bank, Money(amount, "USD"))` — credit the
customer, debit the bank — inside `transaction.atomic()` (hordak's deferred zero-sum trigger
needs both legs in one transaction). Settings: bench.peers.settings_hordak (its own database).

Same stdin protocol as bench/p1.py: `READY`, then `run hordak SHAPE COUNT` → `DONE SECONDS`,
then `quit` → the bank's balance is checked against everything posted, and the RESULT line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench.common import django_setup, emit
from bench.p1 import amounts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["migrate", "serve"])
    parser.add_argument("--many", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    django_setup()
    if args.action == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        emit({})
        return

    from django.db import transaction
    from hordak.models import Account, AccountType
    from moneyed import Money

    stamp = f"{os.getpid()}-{time.time_ns()}"
    bank = Account.objects.create(
        name=f"Bank {stamp}", type=AccountType.asset, currencies=["USD"], is_bank_account=True
    )

    def liability(i: int) -> Account:
        return Account.objects.create(
            name=f"Customer {stamp} {i}", type=AccountType.liability, currencies=["USD"]
        )

    accounts = {"one": [liability(0)], "many": [liability(i + 1) for i in range(args.many)]}
    offset = 0
    posted = 0

    def post(shape: str, count: int) -> None:
        nonlocal offset, posted
        group = accounts[shape]
        k = len(group)
        for i, total in enumerate(amounts(count, offset)):
            with transaction.atomic():
                group[(offset + i) % k].transfer_to(
                    bank, Money(total, "USD"), description=f"Bank top-up {offset + i}"
                )
            posted += total
        offset += count

    post("one", args.warmup)
    post("many", args.warmup)
    print("READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        _, _variant, shape, count = words
        start = time.perf_counter()
        post(shape, int(count))
        print(f"DONE {time.perf_counter() - start}", flush=True)
    got = abs(bank.get_balance().monies()[0].amount)
    if got != posted:
        raise SystemExit(f"hordak: bank balance {got} != {posted} posted")
    emit({"ok": True})


if __name__ == "__main__":
    main()
