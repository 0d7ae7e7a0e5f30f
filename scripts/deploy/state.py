"""The deploy test's Django side (scripts/deploy_test.py runs it with the deployment's
environment): `seed` what the load needs through the app's own services, `settle` runs the
worker's reconciliation once, `check` reads the invariants after the load.

    python scripts/deploy/state.py seed --customers 12 --codes 4000 --out var/deploy/load.json
    python scripts/deploy/state.py check --sink var/deploy/smtp.jsonl

Each action prints one line `RESULT {json}`; secrets (API keys, passwords, voucher codes) go
to the --out file only (mode 0600, under var/deploy/), never to the output.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections import Counter
from pathlib import Path

CURRENCY = "USD"


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.settings.dev")
    django.setup()


def seed(customers: int, codes: int, out: Path) -> dict:
    from paydesk.accounts.models import Contact
    from paydesk.accounts.services import customer_create, portal_user_create, staff_user_create
    from paydesk.api.services import api_key_create
    from paydesk.banktransfers.services import bank_details_update
    from paydesk.checkout.method_settings import method_config_update
    from paydesk.checkout.models import MethodConfig
    from paydesk.vouchers.batches import voucher_batch_issue

    tag = secrets.token_hex(4)
    admin = staff_user_create(
        email=f"deploy-admin-{tag}@example.com",
        password=secrets.token_urlsafe(16),
        role="admin",
        validate=False,
    )
    bank_details_update(
        actor=admin,
        beneficiary_name="Paydesk Deploy Test Ltd",
        account_number="GB29 NWBK 6016 1331 9268 19",
        bank_name="Deploy Bank",
        bank_address="1 Test Street\nLondon EC1A 1AA",
        swift="NWBKGB2L",
    )
    card = MethodConfig.objects.get(method="card")
    method_config_update(config=card, actor=admin, enabled=True)
    users = []
    for n in range(customers):
        customer = customer_create(name=f"Deploy customer {n}", currency=CURRENCY, actor=admin)
        Contact.objects.create(customer=customer, email=f"billing-{n}-{tag}@example.com")
        email = f"deploy-{n}-{tag}@example.com"
        password = secrets.token_urlsafe(16)
        user = portal_user_create(
            customer=customer, email=email, password=password, actor=admin, validate=False
        )
        _key, plain = api_key_create(user=user, name="deploy test", scopes=["read", "pay"])
        users.append({"email": email, "password": password, "key": plain})
    plain_codes: list[str] = []
    while len(plain_codes) < codes:
        _batch, new = voucher_batch_issue(
            count=min(10_000, codes - len(plain_codes)),
            currency=CURRENCY,
            addition="1.00",
            # Issued as the system (as `paydesk vouchers issue` does): never held for a second
            # approval, which a batch by one Finance user above the threshold now is.
            actor=None,
            note="deploy test",
        )
        plain_codes.extend(new)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"users": users, "codes": plain_codes}, fh)
    return {"customers": customers, "codes": len(plain_codes)}


def settle() -> dict:
    """The worker's reconciliation, once (what its `gateway-reconcile` job runs)."""
    from paydesk.checkout.reconcile import gateway_payments_reconcile

    return {"settled": gateway_payments_reconcile()}


def _sink(path: Path) -> Counter:
    received: Counter = Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                got = json.loads(line)
                received[(got["message_id"], got["to"].lower())] += 1
    return received


def check(sink: Path) -> dict:
    from django.db.models import Count

    from paydesk.checkout.services import online_gateway_for
    from paydesk.errors import PaydeskError
    from paydesk.gateways.base import Outcome
    from paydesk.ledger.models import Payment
    from paydesk.ledger.selectors import balance_drifts
    from paydesk.notifications.models import OutboundEmail
    from paydesk.notifications.services import message_id
    from paydesk.vouchers.models import Voucher

    problems: list[str] = []
    drifts = balance_drifts()
    problems += [f"drift: customer {d.customer_id} {d.stored} vs {d.computed}" for d in drifts]
    # Each credit exactly once: one payment per checkout key and per gateway transaction, one
    # voucher payment per used voucher.
    twice = (
        Payment.objects.filter(idempotency_key__isnull=False)
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [f"idempotency key used by {row['n']} payments" for row in twice]
    tx_twice = (
        Payment.objects.exclude(gateway_transaction="")
        .filter(relation="")
        .values("gateway", "gateway_transaction")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [f"gateway transaction credited {row['n']} times" for row in tx_twice]
    voucher_payments = Payment.objects.filter(method="voucher", status="completed").count()
    used = Voucher.objects.filter(status="used").count()
    if voucher_payments != used:
        problems.append(f"{voucher_payments} voucher payments for {used} used vouchers")
    # Emails: every outbox row sent, and the SMTP sink got each one as its own message (its
    # Message-ID): none lost, none sent as two messages. A row sent again after its sender was
    # killed between the server's 250 and marking it sent arrives with the same Message-ID
    # (delivery is at least once; docs/worker.md): counted, not a second message.
    unsent = OutboundEmail.objects.exclude(status="sent").count()
    if unsent:
        problems.append(f"{unsent} emails not sent")
    outbox = {
        (message_id(row), row.to.lower()) for row in OutboundEmail.objects.filter(status="sent")
    }
    received = _sink(sink)
    lost = outbox - set(received)
    unknown = set(received) - outbox
    resent = sum(n - 1 for n in received.values() if n > 1)
    if lost:
        problems.append(f"{len(lost)} sent emails never reached the SMTP sink")
    if unknown:
        problems.append(f"{len(unknown)} messages reached the sink that no sent row accounts for")
    # No payment left pending that its gateway settled: ask each gateway, change nothing.
    settled_but_pending = 0
    pending_online = Payment.objects.filter(status="pending", relation="").exclude(gateway="")
    asked = 0
    for payment in pending_online.exclude(method="bank_transfer"):
        gateway = online_gateway_for(payment)
        if gateway is None:
            continue
        asked += 1
        try:
            event = gateway.fetch_status(
                payment_reference=payment.reference, gateway_reference=payment.gateway_reference
            )
        except PaydeskError:
            continue
        if event is not None and event.outcome != Outcome.PENDING:
            settled_but_pending += 1
    if settled_but_pending:
        problems.append(f"{settled_but_pending} payments pending that the gateway settled")
    from paydesk.api.models import IdempotencyRecord

    in_flight = IdempotencyRecord.objects.filter(completed_at=None).count()
    by_kind = Counter(
        f"{method}/{status}"
        for method, status in Payment.objects.values_list("method", "status").iterator()
    )
    return {
        "payments": dict(sorted(by_kind.items())),
        "drifts": len(drifts),
        "emails_outbox": len(outbox),
        "emails_received": sum(received.values()),
        "emails_distinct_received": len(received),
        "emails_unsent": unsent,
        "emails_resent_same_message": resent,
        "pending_online_asked": asked,
        "pending_but_settled": settled_but_pending,
        "in_flight_abandoned": in_flight,
        "problems": problems,
        "ok": not problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["seed", "settle", "check"])
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--codes", type=int, default=3000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sink", type=Path)
    args = parser.parse_args()
    _setup()
    if args.action == "seed":
        result = seed(args.customers, args.codes, args.out)
    elif args.action == "settle":
        result = settle()
    else:
        result = check(args.sink)
    print("RESULT " + json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
