"""Voucher fixtures: a clean cache (the rate-limit counters live there) and issuing helpers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def issue_redeemable(*, actor: Any, **terms: Any) -> tuple[Any, list[str]]:
    """voucher_batch_issue, then, when the batch waits for a second Finance user (a bonus with
    X > 1, say), its approval by another one: the batch and codes a customer can redeem."""
    from paydesk.vouchers.batches import voucher_batch_approve, voucher_batch_issue
    from paydesk.vouchers.models import BatchApproval
    from tests.factories import StaffFactory

    batch, codes = voucher_batch_issue(actor=actor, **terms)
    if batch.approval == BatchApproval.WAITING:
        batch = voucher_batch_approve(batch=batch, actor=StaffFactory(staff_role="finance"))
    return batch, codes


@pytest.fixture
def issue(finance_user):
    """issue(count=1, currency="USD", addition="5", ...) → list of plain codes, redeemable."""

    def _issue(count: int = 1, currency: str = "USD", **terms: Any) -> list[str]:
        terms.setdefault("addition", "5")
        _batch, codes = issue_redeemable(
            count=count, currency=currency, actor=finance_user, **terms
        )
        return codes

    return _issue


def run_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released together; each thread has its own connection.

    Returns each call's result, or the exception it raised.
    """
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes
