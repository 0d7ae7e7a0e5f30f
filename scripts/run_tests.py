"""Run the whole suite twice: on SQLite (the embedded default) and on PostgreSQL.

Outside CI a missing PostgreSQL skips the second pass with a message; with CI=true it is a
failure. Browser tests and tests independent of the database under test (`sqlite_pass_only`)
run in the SQLite pass; PostgreSQL-only tests (real concurrency) run in the PostgreSQL pass.
Extra arguments go to pytest.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

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


def run_pass(name: str, env_extra: dict[str, str], marker: str, pytest_args: list[str]) -> int:
    env = {**os.environ, **env_extra}
    cmd = [sys.executable, "-m", "pytest", "-m", marker, *pytest_args]
    print(f"\n=== {name} pass: {' '.join(cmd)}", flush=True)
    return subprocess.call(cmd, env=env)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args, pytest_args = parser.parse_known_args()
    in_ci = os.environ.get("CI") == "true"
    results: dict[str, int] = {}

    if args.only in (None, "sqlite"):
        env = {"DATABASE_URL": "", "PAYDESK_TEST_DB": "sqlite"}
        results["sqlite"] = run_pass("SQLite", env, "not postgres", pytest_args)

    if args.only in (None, "postgres"):
        if postgres_reachable():
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            env = {"DATABASE_URL": f"{base}/paydesk", "PAYDESK_TEST_DB": "postgres"}
            marker = "not browser and not sqlite_pass_only"
            results["postgres"] = run_pass("PostgreSQL", env, marker, pytest_args)
        elif in_ci:
            print("CI=true and PostgreSQL is not reachable: failing.", file=sys.stderr)
            results["postgres"] = 1
        else:
            print(
                "Skipping the PostgreSQL pass: no PostgreSQL reachable (set PAYDESK_TEST_PG_URL)."
            )

    print(
        "\n=== summary: "
        + ", ".join(f"{k}: {'ok' if v == 0 else f'FAILED ({v})'}" for k, v in results.items())
    )
    # pytest exits 5 when nothing was collected: that is a failure for us too.
    return 0 if results and all(v == 0 for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
