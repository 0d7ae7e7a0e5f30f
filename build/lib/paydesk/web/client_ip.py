"""The client's IP address, for rate limits (voucher guessing, sign-in throttling, the API) and
the audit log.

Behind PAYDESK_TRUSTED_PROXIES reverse proxies (0: none, the default) REMOTE_ADDR is the nearest
proxy's address, shared by every customer: counting failures per that address would let one
customer's mistakes lock everyone out. Each trusted proxy appends the address it received the
request from to X-Forwarded-For, so the client is the entry that many places from the right;
entries further left were written by the client itself and are never believed.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the trusted proxies saw it; None when there is none."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.PAYDESK_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote  # not through the proxies we were told of: the peer is the client
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
