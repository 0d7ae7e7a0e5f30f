"""Who may use what under /sandbox/: staff only, unless a path says it is the pretend gateways'.

The sandbox's own pages (the switches page, each gateway's panel on it: refunds, disputes, SEPA
settlement; the webhook receiver's page and switch) act on every customer's payments, so they
need a signed-in staff user, even in a demo anyone may reach. The rule is applied once, to every
path the sandbox mounts (`staff_unless_open`, called by sandbox/urls.py): a view added later is
staff only without a word. What anyone may reach is marked where its path is written
(`without_sign_in`): the pretend APIs (Paydesk's clients call them server to server, with the
gateway's own keys and signatures), the payer's pages (3-D Secure, PayPal approval, the hosted
checkouts) and the receiver's POST (Paydesk's signed webhooks).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, reverse

SandboxView = Callable[..., HttpResponse]
EVERY_METHOD = frozenset({"*"})
# The attribute `without_sign_in` sets on a path: the HTTP methods it leaves open.
OPEN_TO = "sandbox_open_to"


def without_sign_in(
    *patterns: URLPattern, methods: Collection[str] = EVERY_METHOD
) -> list[URLPattern]:
    """These paths are the pretend gateways' (or the receiver's): open to anyone, for `methods`
    (every method by default)."""
    for pattern in patterns:
        setattr(pattern, OPEN_TO, frozenset(m.upper() for m in methods))
    return list(patterns)


def staff_unless_open(
    patterns: Iterable[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    """`patterns`, with every path below them staff only except for the methods
    `without_sign_in` left open (included URL modules too)."""
    guarded: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            guarded.append(
                URLResolver(
                    entry.pattern,
                    staff_unless_open(entry.url_patterns),
                    entry.default_kwargs,
                    app_name=entry.app_name,
                    namespace=entry.namespace,
                )
            )
            continue
        open_to: frozenset[str] = getattr(entry, OPEN_TO, frozenset())
        if open_to == EVERY_METHOD:
            guarded.append(entry)
            continue
        view = _staff_only(entry.callback, open_to=open_to)
        guarded.append(URLPattern(entry.pattern, view, entry.default_args, entry.name))
    return guarded


def _staff_only(view: SandboxView, *, open_to: Collection[str] = ()) -> SandboxView:
    """Staff only (but for the methods in `open_to`); anyone else gets 403 with a sign-in link
    that comes back to the page (a panel's button posts elsewhere, so it comes back to the
    switches page)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in open_to or getattr(request.user, "is_staff", False):
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else reverse("sandbox:control")
        sign_in = f"{reverse('backoffice:login')}?{urlencode({'next': back})}"
        return render(request, "sandbox/staff_required.html", {"sign_in": sign_in}, status=403)

    return wrapped
