"""Worker for P2: how long reading a customer's stored balance takes, at 1 k, 100 k and 1 M
payments on the account (customers seeded by bench/seed.py).

The read is the one the portal makes: the stored running balance of one customer,
`Customer.objects.values_list("balance", flat=True).get(pk=…)`; no payment row is touched, so
the time must not grow with the number of payments. Many short rounds interleave the customers
(rotating the order) so the machine's noise falls on each alike; the answer is microseconds per
read, median over rounds.
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import django_setup, emit, median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", required=True, help='JSON {"1000": id, ...}')
    parser.add_argument("--reads", type=int, default=300, help="reads per customer per round")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    django_setup()
    from paydesk.accounts.models import Customer

    customers = {size: int(pk) for size, pk in json.loads(args.customers).items()}

    def read(pk: int) -> None:
        Customer.objects.values_list("balance", flat=True).get(pk=pk)

    for pk in customers.values():  # warm-up: connection, statement caches
        for _ in range(200):
            read(pk)
    samples: dict[str, list[float]] = {size: [] for size in customers}
    order = list(customers)
    for r in range(args.rounds):
        for size in order[r % len(order) :] + order[: r % len(order)]:
            pk = customers[size]
            start = time.perf_counter()
            for _ in range(args.reads):
                read(pk)
            samples[size].append((time.perf_counter() - start) / args.reads * 1e6)
    emit({"us_per_read": {size: median(v) for size, v in samples.items()}, "samples": samples})


if __name__ == "__main__":
    main()
