"""P6 (issue 20): outgoing webhooks — what writing the event rows adds to a top-up, and how many
events one worker delivers per second to a local receiver.

    .venv/bin/python bench/p6_outhooks.py --db sqlite      # or --db postgres; --quick
    .venv/bin/python bench/p6_outhooks.py --db both --save  # bench/results/<date>-<host>-p6.md

Runs with the app's own .venv (no peers), on a database of its own, fresh each run and dropped
at the end: SQLite bench/var/p6.sqlite3 (WAL, synchronous=FULL, as settings/base.py), PostgreSQL
`paydesk_bench_p6` (or PAYDESK_BENCH_P6_DB, as bench/p6_import.py) on
PAYDESK_BENCH_PG_URL's server.

- **Cost per top-up**: `payment_create` of completed top-ups (P1's call, one customer), blocks
  alternating *with* the event rows (the ledger's payment listener as installed) and *without*
  (the listener unregistered for the block: the ledger as before issue 20); median µs per top-up
  of each over the rounds, and the ratio as the median of each round's own with/without ratio
  (a round's blocks run back to back: a slow spell of the shared disk slows both). Bar: with
  ≤ 1.10 × without. The process's CPU per top-up is reported beside it.
- **Delivery**: top-ups written first (2 events each), one endpoint (unordered) at a receiver in
  another process (ThreadingHTTPServer answering 200 at once), then `deliveries_send_due()` — the
  worker's job, in this process — timed until every delivery is delivered: events/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
PG_ADMIN = os.environ.get("PAYDESK_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("PAYDESK_BENCH_P6_DB", "paydesk_bench_p6")  # another name: no clash

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"ok")
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


def child(db: str, quick: bool) -> dict:
    """Run one database's measurements in a fresh process (Django set up once per database)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.dev",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "PAYDESK_VAR_DIR": str(VAR),
        "PAYDESK_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "DATABASE_URL": f"sqlite:///{VAR / 'p6.sqlite3'}"
        if db == "sqlite"
        else PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB,
    }
    args = [sys.executable, __file__, "--child", db] + (["--quick"] if quick else [])
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"P6 {db} failed:\n{out.stderr[-3000:]}")
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(db: str, quick: bool) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from paydesk.accounts.models import User
    from paydesk.accounts.services import customer_create
    from paydesk.ledger import hooks
    from paydesk.ledger.services import payment_create
    from paydesk.outhooks.delivery import deliveries_send_due
    from paydesk.outhooks.models import Delivery
    from paydesk.outhooks.services import endpoint_create

    block, rounds = (100, 5) if quick else (300, 11)
    customer = customer_create(name="P6", currency="USD")
    listener = hooks._LISTENERS["outhooks"]
    # Put back as the app registers it: with its INSERT sent in the payment's statement.
    with_insert = hooks._WITH_INSERT.get("outhooks")

    cpu: dict[str, list[float]] = {"with": [], "without": []}

    def post(n: int, variant: str = "") -> float:
        start, start_cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            payment_create(customer=customer, total=f"{i % 50 + 1}.25", description="Top-up")
        if variant:
            cpu[variant].append((time.process_time() - start_cpu) / n * 1e6)
        return (time.perf_counter() - start) / n * 1e6

    post(block)  # warm-up
    with_us, without_us = [], []
    for r in range(rounds):
        order = ("with", "without") if r % 2 == 0 else ("without", "with")
        for variant in order:
            if variant == "without":
                hooks._LISTENERS.pop("outhooks")
                try:
                    without_us.append(post(block, "without"))
                finally:
                    hooks.payment_listener_register("outhooks", listener, with_insert=with_insert)
            else:
                with_us.append(post(block, "with"))

    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(receiver.stdout.readline())
        admin = User.objects.create(email="p6@example.com", staff_role="admin")
        endpoint_create(url=f"http://127.0.0.1:{port}/hooks", actor=admin)
        topups = 250 if quick else 1000
        post(topups)
        start = time.perf_counter()
        delivered = 0
        while Delivery.objects.exclude(status="delivered").exists() or not delivered:
            delivered += deliveries_send_due()
        seconds = time.perf_counter() - start
    finally:
        receiver.terminate()
        receiver.wait()
    w, wo = statistics.median(with_us), statistics.median(without_us)
    # The ratio: the median of each round's own with/without ratio. A round's two blocks run
    # back to back, so what slows the machine for a while (another build's disk writes, which
    # every commit's fsync waits behind) slows both alike; medians taken apart let one slow
    # block move the ratio.
    paired = statistics.median(a / b for a, b in zip(with_us, without_us, strict=True))
    return {
        "db": db,
        "vendor": connection.vendor,
        "with_us": round(w, 1),
        "without_us": round(wo, 1),
        "ratio": round(paired, 3),
        "cpu_with_us": round(statistics.median(cpu["with"]), 1),
        "cpu_without_us": round(statistics.median(cpu["without"]), 1),
        "block": block,
        "rounds": rounds,
        "events": delivered,
        "events_per_s": round(delivered / seconds, 1),
    }


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(sql)


def prepare(db: str) -> None:
    if db == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR / 'p6.sqlite3'}{suffix}").unlink(missing_ok=True)
    else:
        _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        _pg(f"CREATE DATABASE {PG_DB}")


def cleanup(db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR / 'p6.sqlite3'}{suffix}").unlink(missing_ok=True)
    else:
        _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", action="store_true", help="write bench/results/…-p6.md")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        import json

        print(json.dumps(measure(args.child, args.quick)))
        return
    rows = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        prepare(db)
        try:
            rows.append(child(db, args.quick))
        finally:
            cleanup(db)
    lines = [
        "| database | top-up with events (µs) | without (µs) | ratio (median of rounds) | bar "
        "| pass | events delivered/s (1 worker) | CPU per top-up with / without (µs) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ok = "yes" if r["ratio"] <= 1.10 else "NO"
        lines.append(
            f"| {r['db']} | {r['with_us']} | {r['without_us']} | {r['ratio']} | ≤ 1.10 | {ok} "
            f"| {r['events_per_s']} ({r['events']} events) "
            f"| {r['cpu_with_us']} / {r['cpu_without_us']} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.save:
        load = os.getloadavg()
        stamp = datetime.now(UTC)
        text = (
            f"# P6 outgoing webhooks — {stamp:%Y-%m-%d %H:%M} UTC on {socket.gethostname()}\n\n"
            f"`python bench/p6_outhooks.py --db {args.db}{' --quick' if args.quick else ''}`; "
            f"Python {platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} "
            f"{load[2]:.2f} (a machine shared by other engineers' builds).\n\n"
            f"Median µs per completed top-up over {rows[0]['rounds']} rounds, each a block of "
            f"{rows[0]['block']} with and a block without, in alternating order; the ratio is "
            f"the median of the rounds' own ratios. CPU: the process's, per top-up (the rest "
            f"of the time is mostly the commit's fsync).\n\n{table}\n"
        )
        out = ROOT / "bench" / "results" / f"{stamp:%Y-%m-%d}-{socket.gethostname()}-p6.md"
        out.write_text(text)
        print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
