"""Worker for P3: the Payments page through the full Django stack (in-process test Client:
URL routing, middleware, session, view, templates), signed in as each seeded customer's portal
user.

Follows docs/architecture.md's URL contract: GET `/payments/` is the first page (newest first);
the page near the end is the one its `Last` link points at (a keyset `before`/`after` cursor).
If `/payments/` is not in the tree (404), the answer is `present: false` and nothing is timed.
Rounds interleave the pages (rotating the order); the answer is milliseconds per request, median.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import time

from bench.common import django_setup, emit, median, say

ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S | re.I)
HREF = re.compile(r'href\s*=\s*"([^"]*)"', re.I)
TAG = re.compile(r"<[^>]+>")


def last_link(page: str) -> str | None:
    """The href of the page's `Last` link (by its text, rel or aria-label), unescaped."""
    for attrs, inner in ANCHOR.findall(page):
        href = HREF.search(attrs)
        if not href:
            continue
        text = TAG.sub("", inner).strip().lower()
        label = attrs.lower()
        if text.startswith("last") or 'rel="last"' in label or 'aria-label="last' in label:
            return html.unescape(href.group(1))
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", required=True, help='JSON {"1000": user_id, ...}')
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    django_setup()
    from django.test import Client

    from paydesk.accounts.models import User

    users = {size: int(pk) for size, pk in json.loads(args.users).items()}
    small, big = min(users, key=int), max(users, key=int)
    clients = {}
    for size, pk in users.items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(User.objects.get(pk=pk))
        clients[size] = client

    first = clients[big].get("/payments/")
    if first.status_code == 404:
        say("P3: portal page not present")
        emit({"present": False})
        return
    if first.status_code != 200:
        raise SystemExit(f"P3: GET /payments/ answered {first.status_code}")
    page = first.content.decode()
    last = last_link(page)
    targets = {
        "first_small": (clients[small], "/payments/"),
        "first_big": (clients[big], "/payments/"),
    }
    if last:
        if last.startswith("?"):
            last = "/payments/" + last
        deep = clients[big].get(last)
        if deep.status_code != 200:
            raise SystemExit(f"P3: GET {last} answered {deep.status_code}")
        targets["deep_big"] = (clients[big], last)
        say(f"  P3 deep page: {last[:120]}")
    else:
        say("P3: no `Last` link on /payments/: the deep page is not measured")

    for client, url in targets.values():  # warm-up
        for _ in range(3):
            client.get(url)
    samples: dict[str, list[float]] = {name: [] for name in targets}
    order = list(targets)
    for r in range(args.rounds):
        for name in order[r % len(order) :] + order[: r % len(order)]:
            client, url = targets[name]
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"P3: GET {url} answered {response.status_code}")
            samples[name].append(median(times) * 1000)
    emit(
        {
            "present": True,
            "last_link": last,
            "ms": {name: median(v) for name, v in samples.items()},
            "samples": samples,
        }
    )


if __name__ == "__main__":
    main()
