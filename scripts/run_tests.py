"""Run the whole suite twice: on SQLite (the embedded default) and on PostgreSQL.

Outside CI a missing PostgreSQL skips the second pass with a message; with CI=true it is a
failure. Browser tests and tests independent of the database under test (`sqlite_pass_only`)
run in the SQLite pass; PostgreSQL-only tests (real concurrency) run in the PostgreSQL pass.
Extra arguments go to pytest.

With two or more cores the two passes run side by side (each pass is mostly one busy core), their
output streamed line by line with a `[sqlite]` / `[postgres]` prefix; `--serial` runs them one after
the other. Each pass has its own Redis database for the shared-cache tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

import psycopg

PG_ADMIN_URL = os.environ.get("PAYDESK_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(
            PG_ADMIN_URL.replace("postgres://", "postgresql://"), connect_timeout=3
        ):
            return True
    except psycopg.Error as exc:
        print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}", file=sys.stderr)
        return False


def pass_command(marker: str, pytest_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-m", marker, *pytest_args]


# pytest's short summary (`-ra`): the lines the end of a long log must repeat, so that a reader
# of its last lines (a CI page) sees which tests failed in which pass.
FAILURE_LINE = ("FAILED ", "ERROR ")


class Pass:
    """One pytest run: started, its output streamed (prefixed when passes share the terminal)."""

    lock = threading.Lock()

    def __init__(self, name: str, env_extra: dict[str, str], marker: str, pytest_args: list[str]):
        self.name = name
        self.failures: list[str] = []
        cmd = pass_command(marker, pytest_args)
        print(f"\n=== {name} pass: {' '.join(cmd)}", flush=True)
        self.process = subprocess.Popen(
            cmd,
            env={**os.environ, **env_extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )

    def stream(self, prefix: str) -> int:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(FAILURE_LINE):
                self.failures.append(line.rstrip("\n"))
            with self.lock:
                sys.stdout.write(f"{prefix}{line}")
                sys.stdout.flush()
        return self.process.wait()


def run_passes(
    passes: dict[str, tuple[dict[str, str], str]], pytest_args: list[str], side_by_side: bool
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Run every pass (all at once, or one after the other); return exit codes and failures."""
    results: dict[str, int] = {}
    started: list[Pass] = []

    def finish(run: Pass, prefix: str) -> None:
        results[run.name] = run.stream(prefix)

    if side_by_side:
        threads = []
        for name, (env_extra, marker) in passes.items():
            run = Pass(name, env_extra, marker, pytest_args)
            started.append(run)
            thread = threading.Thread(target=finish, args=(run, f"[{name}] "))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
    else:
        for name, (env_extra, marker) in passes.items():
            run = Pass(name, env_extra, marker, pytest_args)
            started.append(run)
            finish(run, "")
    return results, {run.name: run.failures for run in started}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--serial", action="store_true", help="one pass after the other")
    args, pytest_args = parser.parse_known_args()
    in_ci = os.environ.get("CI") == "true"
    results: dict[str, int] = {}
    redis = os.environ.get("PAYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5").rsplit("/", 1)[0]
    passes: dict[str, tuple[dict[str, str], str]] = {}

    if args.only in (None, "sqlite"):
        env = {
            "DATABASE_URL": "",
            "PAYDESK_TEST_DB": "sqlite",
            "PAYDESK_TEST_REDIS_URL": f"{redis}/5",
        }
        passes["sqlite"] = (env, "not postgres")

    if args.only in (None, "postgres"):
        if postgres_reachable():
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            env = {
                "DATABASE_URL": f"{base}/paydesk",
                "PAYDESK_TEST_DB": "postgres",
                "PAYDESK_TEST_REDIS_URL": f"{redis}/6",
            }
            passes["postgres"] = (env, "not browser and not sqlite_pass_only")
        elif in_ci:
            print("CI=true and PostgreSQL is not reachable: failing.", file=sys.stderr)
            results["postgres"] = 1
        else:
            print(
                "Skipping the PostgreSQL pass: no PostgreSQL reachable (set PAYDESK_TEST_PG_URL)."
            )

    side_by_side = len(passes) > 1 and not args.serial and (os.cpu_count() or 1) >= 2
    ran, failures = run_passes(passes, pytest_args, side_by_side)
    results.update(ran)

    for name, lines in failures.items():
        if lines:
            print(f"\n=== {name}: {len(lines)} failed or in error")
            for line in lines:
                print(f"[{name}] {line}")
    print(
        "\n=== summary: "
        + ", ".join(f"{k}: {'ok' if v == 0 else f'FAILED ({v})'}" for k, v in results.items())
    )
    # pytest exits 5 when nothing was collected: that is a failure for us too.
    return 0 if results and all(v == 0 for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
