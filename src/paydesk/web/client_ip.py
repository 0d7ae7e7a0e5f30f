"""The client's IP address, for rate limits (voucher guessing, sign-in throttling, the API) and
the audit log.

Behind PAYDESK_TRUSTED_PROXIES reverse proxies (0: none, the default) REMOTE_ADDR is the nearest
proxy's address, shared by every customer: counting failures per that address would let one
customer's mistakes lock everyone out. Each trusted proxy appends the address it received the
request from to X-Forwarded-For, so the client is the entry that many places from the right;
entries further left were written by the client itself and are never believed.

Limits count a client by `address_scope`: an IPv4 address as itself, an IPv6 address by its /64
(one host usually holds a whole /64 and may use a new address for every request).
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
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote  # not through the proxies we were told of: the peer is the client
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def address_scope(address: str) -> str:
    """What a limit counts a client address as: an IPv4 address itself, an IPv6 address its
    /64 written as the /64's first address (`2001:db8:1:2::`: still an address, for django-axes,
    which stores it), an IPv4 address written as IPv6 (`::ffff:192.0.2.7`) its IPv4 address;
    text that is no address, trimmed."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # an IPv4 client of a dual-stack socket: itself
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def client_scope(request: HttpRequest | None) -> str | None:
    """The client as sign-in throttling and rate limits count it (address_scope of client_ip);
    None when there is no address. AXES_CLIENT_IP_CALLABLE."""
    address = client_ip(request)
    return address_scope(address) if address else None
