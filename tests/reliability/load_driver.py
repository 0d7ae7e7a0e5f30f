"""A load driver for the crash test (R7): several threads moving money in a loop until killed.

Run as a separate process, against the database named by DATABASE_URL:

    python tests/reliability/load_driver.py --customers 1,2,3 --threads 4

Each thread picks an operation at random — a completed top-up, a purchase (refused past
available credit), a pending payment, the completion or cancellation of a pending one (its own,
or any pending one of those customers, so threads contend) — and, after the operation has
returned (its transaction committed), prints one line to stdout and flushes it:

    ok <operation> <reference>
    refused <operation> <error code>

So every `ok` line on stdout names a payment that was committed. The crash test kills this
process with SIGKILL in the middle of that stream and checks that the ledger is still whole.

The operations go through a `Target`. `ServicesTarget` calls paydesk.ledger.services in this
process. An HTTP target (posting to a running server, such as the back office's add-payment
form or the payments API) only needs the same five methods; add it to TARGETS.

The loop is bounded: it stops by itself after --max-ops operations or --max-seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from decimal import Decimal
from typing import Protocol


class Target(Protocol):
    """Where the money moves. Each method returns the payment's reference (and id)."""

    def create(self, *, customer_id: int, total: Decimal, pending: bool) -> tuple[int, str]: ...

    def complete(self, *, payment_id: int) -> str: ...

    def cancel(self, *, payment_id: int) -> str: ...

    def any_pending(self, *, customer_ids: list[int], rng: random.Random) -> int | None: ...

    def close(self) -> None: ...


class ServicesTarget:
    """The real services, in this process (one database connection per thread)."""

    def __init__(self) -> None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.settings.dev")
        import django

        django.setup()

    def create(self, *, customer_id: int, total: Decimal, pending: bool) -> tuple[int, str]:
        from paydesk.accounts.models import Customer
        from paydesk.ledger.services import payment_create

        payment = payment_create(
            customer=Customer.objects.get(pk=customer_id),
            total=total,
            description="Load driver top-up" if total > 0 else "Load driver purchase",
            status="pending" if pending else "completed",
        )
        return payment.pk, payment.reference

    def complete(self, *, payment_id: int) -> str:
        from paydesk.ledger.services import payment_complete

        return payment_complete(payment=payment_id).reference

    def cancel(self, *, payment_id: int) -> str:
        from paydesk.ledger.services import payment_cancel

        return payment_cancel(payment=payment_id, reason="Load driver").reference

    def any_pending(self, *, customer_ids: list[int], rng: random.Random) -> int | None:
        from paydesk.ledger.models import Payment

        ids = list(
            Payment.objects.filter(customer_id__in=customer_ids, status="pending")
            .order_by("-id")
            .values_list("pk", flat=True)[:50]
        )
        return rng.choice(ids) if ids else None

    def close(self) -> None:
        from django.db import connections

        connections.close_all()


TARGETS = {"services": ServicesTarget}

_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def worker(
    target: Target, customer_ids: list[int], seed: int, budget: threading.Semaphore, deadline: float
) -> None:
    from paydesk.errors import PaydeskError

    rng = random.Random(seed)
    mine: list[int] = []
    try:
        while time.monotonic() < deadline and budget.acquire(blocking=False):
            customer_id = rng.choice(customer_ids)
            total = Decimal(rng.randint(1, 500_000)).scaleb(-4)  # up to 50, sub-cent
            op = rng.choice(["top_up", "purchase", "purchase", "pending", "complete", "cancel"])
            try:
                if op == "top_up" or op == "purchase":
                    _pk, reference = target.create(
                        customer_id=customer_id,
                        total=total if op == "top_up" else -total,
                        pending=False,
                    )
                elif op == "pending":
                    pk, reference = target.create(
                        customer_id=customer_id, total=total * rng.choice([1, -1]), pending=True
                    )
                    mine.append(pk)
                else:
                    pk = mine.pop() if mine and rng.random() < 0.5 else None
                    pk = pk or target.any_pending(customer_ids=customer_ids, rng=rng)
                    if pk is None:
                        continue
                    if op == "complete":
                        reference = target.complete(payment_id=pk)
                    else:
                        reference = target.cancel(payment_id=pk)
                say(f"ok {op} {reference}")
            except PaydeskError as exc:
                say(f"refused {op} {exc.code}")
    finally:
        target.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", required=True, help="comma-separated customer ids")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-ops", type=int, default=20_000)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--target", choices=sorted(TARGETS), default="services")
    args = parser.parse_args(argv)
    customer_ids = [int(c) for c in args.customers.split(",")]
    target = TARGETS[args.target]()
    budget = threading.Semaphore(args.max_ops)
    deadline = time.monotonic() + args.max_seconds
    threads = [
        threading.Thread(
            target=worker, args=(target, customer_ids, args.seed * 1000 + i, budget, deadline)
        )
        for i in range(args.threads)
    ]
    say(f"started {os.getpid()}")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    say("finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
