"""Job functions for the worker's tests: one that holds its run until the test lets it go, one
that counts its runs, one that fails. They are real jobs: `job_run` imports them by path."""

from __future__ import annotations

import threading
from datetime import datetime

started = threading.Event()
release = threading.Event()
runs: list[str] = []
_runs_lock = threading.Lock()


def reset() -> None:
    started.clear()
    release.clear()
    runs.clear()


def held(*, now: datetime | None = None) -> int:
    """Runs until the test sets `release` (at most 30 s)."""
    with _runs_lock:
        runs.append(threading.current_thread().name)
    started.set()
    release.wait(30)
    return 1


def counted(*, now: datetime | None = None) -> int:
    with _runs_lock:
        runs.append(threading.current_thread().name)
    return 1


def broken(*, now: datetime | None = None) -> int:
    raise ValueError("the job's own bug")
