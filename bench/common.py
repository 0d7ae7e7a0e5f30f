"""Shared pieces of the bench: paths, the environment each child process gets, timing helpers,
and the one-line result protocol between a worker process and bench/run.py.

A worker prints exactly one line `RESULT {json}` on stdout; everything else it says goes to stderr.
Nothing here touches Paydesk's data: the workers do, each in its own process and database.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = BENCH / "var"
VENV = BENCH / ".venv"

PG_ADMIN_URL = os.environ.get("PAYDESK_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Our own database names: other helpers use paydesk_<name>, tests use test_paydesk_<name>.
# PAYDESK_BENCH_PG_DB names another (and `<it>_hordak`), so two checkouts sharing one server can
# bench at once: a run drops and recreates its databases.
PG_OURS_DB = os.environ.get("PAYDESK_BENCH_PG_DB", "paydesk_bench_run")
PG_HORDAK_DB = (
    f"{PG_OURS_DB}_hordak" if "PAYDESK_BENCH_PG_DB" in os.environ else "paydesk_bench_hordak"
)
# P5 has a database of its own: it can run while another checkout's bench uses the two above
# (`<PAYDESK_BENCH_PG_DB>_p5` when that is set, so two checkouts' P5 runs do not drop each other's).
PG_P5_DB = f"{PG_OURS_DB}_p5" if "PAYDESK_BENCH_PG_DB" in os.environ else "paydesk_bench_p5"
SQLITE_FILE = VAR / "bench.sqlite3"

RESULT_PREFIX = "RESULT "


def pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


def db_url(db: str) -> str:
    """DATABASE_URL of the bench database for `sqlite` or `postgres`."""
    if db == "sqlite":
        return f"sqlite:///{SQLITE_FILE}"
    return pg_url(PG_OURS_DB)


def paydesk_env(db: str, settings: str | None = None, **extra: str) -> dict[str, str]:
    """Environment of a child process running Paydesk as deployed (DEBUG off) on the bench DB.

    Settings: paydesk.settings.dev (DEBUG off by the environment), or PAYDESK_BENCH_SETTINGS.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings
        or os.environ.get("PAYDESK_BENCH_SETTINGS", "paydesk.settings.dev"),
        "DATABASE_URL": db_url(db),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "PAYDESK_VAR_DIR": str(VAR),
        "PAYDESK_STATIC_ROOT": str(VAR / "static"),
        "PAYDESK_LOG_LEVEL": "WARNING",
        "PAYDESK_SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def django_setup() -> None:
    import django

    django.setup()


def emit(result: dict[str, Any]) -> None:
    """The worker's answer to bench/run.py."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def parse_result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError("worker printed no RESULT line")
