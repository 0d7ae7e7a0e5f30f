"""The deploy test's figures: the load's records summarised by phase, and the report printed
and written to bench/results/ (scripts/deploy_test.py)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def log(message: str) -> None:
    print(f"[deploy-test] {message}", flush=True)


def summarise(records: list[dict], load_start: float, timeline: dict) -> dict:
    def phase(t: float) -> str:
        offset = t - load_start
        if offset < timeline["during_from"]:
            return "before"
        return "during" if offset < timeline["during_to"] else "after"

    latencies: dict[str, list[float]] = {"before": [], "during": [], "after": []}
    failed_attempts: Counter = Counter()
    requests = 0
    for record in records:
        for attempt in record["attempts"]:
            requests += 1
            latencies[phase(attempt["t"])].append(attempt["ms"])
            status = attempt["status"]
            if status == 0 or status >= 500 or status in (409, 429):
                kind = "connection" if status == 0 else f"HTTP {status}"
                failed_attempts[f"{phase(attempt['t'])}: {kind}"] += 1
    operations = Counter(record["kind"] for record in records)
    unresolved = Counter(
        f"{record['kind']}: {record['error']}" for record in records if not record["ok"]
    )
    refused = Counter(
        f"{record['kind']}: {record['error']}"
        for record in records
        if record["ok"] and record["error"]
    )
    retried = sum(1 for record in records if len(record["attempts"]) > 1)

    def pct(values: list[float], q: float) -> float:
        if not values:
            return 0.0
        return (
            statistics.quantiles(values, n=100, method="inclusive")[q - 1]
            if len(values) > 1
            else values[0]
        )

    return {
        "requests": requests,
        "operations": dict(operations),
        "operations_retried": retried,
        "failed_attempts": dict(sorted(failed_attempts.items())),
        "unresolved": dict(unresolved),
        "clear_refusals": dict(refused),
        "latency_ms": {
            name: {"n": len(v), "p50": round(pct(v, 50), 1), "p95": round(pct(v, 95), 1)}
            for name, v in latencies.items()
        },
    }


def report(figures: dict, args: argparse.Namespace, *, save: bool) -> bool:
    check = figures.get("check", {})
    load = figures.get("load", {})
    check_balances = figures.get("check_balances", {})
    ok = (
        bool(check.get("ok"))
        and not load.get("unresolved")
        and bool(load.get("requests"))
        and check_balances.get("exit") == 0
    )
    lines = [
        f"# Deploy test {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {'PASS' if ok else 'FAIL'}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}. `make deploy-test` "
        f"(--load-seconds {args.load_seconds}, --users {args.users}): PostgreSQL (own instance), "
        "Redis, SMTP sink, 2 gunicorn app servers (2 workers × 4 threads) behind HAProxy, "
        "2 `paydesk worker`.",
        "",
        "## Load",
        f"- requests (attempts, retries included): {load.get('requests', 0)}",
        f"- operations: {json.dumps(load.get('operations', {}))}; retried: "
        f"{load.get('operations_retried', 0)}",
        f"- failed attempts by phase and kind (each retried): "
        f"{json.dumps(load.get('failed_attempts', {}))}",
        f"- operations answered with a clear, final refusal by design: "
        f"{json.dumps(load.get('clear_refusals', {}))}",
        f"- operations that did not end in success: {json.dumps(load.get('unresolved', {}))}",
        "",
        "| phase | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for name, row in load.get("latency_ms", {}).items():
        lines.append(f"| {name} | {row['n']} | {row['p50']} | {row['p95']} |")
    lines += ["", "## Faults injected", *(f"- {fault}" for fault in figures.get("faults", []))]
    lines += ["", f"deploy/haproxy.cfg, production branch: {figures.get('haproxy_tls_config')}"]
    lines += [
        "",
        "## Invariants after the load",
        f"- payments by method/status: {json.dumps(check.get('payments', {}))}",
        f"- balance drift (`check-balances`): {check.get('drifts')}; "
        f"deploy/paydesk-check-balances.service: exit {check_balances.get('exit')} "
        f"{json.dumps(check_balances.get('said', []))}",
        f"- emails: {check.get('emails_outbox')} sent by the outbox, "
        f"{check.get('emails_distinct_received')} distinct messages received by the SMTP sink "
        f"({check.get('emails_received')} deliveries), {check.get('emails_unsent')} unsent; "
        f"resent after a killed sender, same Message-ID: "
        f"{check.get('emails_resent_same_message')}",
        f"- pending card payments asked at the gateway: {check.get('pending_online_asked')}; "
        f"settled there but pending here: {check.get('pending_but_settled')} "
        f"(reconciliation settled {figures.get('settled_after_load')} after the load)",
        f"- graceful stop (SIGTERM → exit, s; null = had to be killed): "
        f"{json.dumps(figures.get('graceful_stop_seconds', {}))}",
        f"- idempotency keys left in flight (their request died; a retry takes one over "
        f"after 90 s): "
        f"{check.get('in_flight_abandoned', 0)}",
        f"- problems: {json.dumps(check.get('problems', ['no check ran']))}",
    ]
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    if save:
        out = (
            ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}-deploy-{platform.node()}.md"
        )
        out.write_text(text)
        log(f"written to {out.relative_to(ROOT)}")
    return ok
