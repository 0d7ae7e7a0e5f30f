"""Who may use the sandbox's own pages: its switches page (/sandbox/), the gateway panels on it
(each pretend gateway's dashboard: refunds, disputes, SEPA settlement) and the webhook receiver's
page. They act on every customer's payments, so they need a signed-in staff user, even in a demo
anyone may reach. The payer's pages (3-D Secure, PayPal approval, the hosted checkouts) and the
pretend APIs are not behind this: the paying customer and Paydesk's clients use them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

SandboxView = Callable[..., HttpResponse]


def staff_required(view: SandboxView) -> SandboxView:
    """Staff only; anyone else gets 403 with a sign-in link that comes back to the page (a
    panel's button posts elsewhere, so it comes back to the switches page)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "is_staff", False):
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else reverse("sandbox:control")
        sign_in = f"{reverse('backoffice:login')}?{urlencode({'next': back})}"
        return render(request, "sandbox/staff_required.html", {"sign_in": sign_in}, status=403)

    return wrapped
