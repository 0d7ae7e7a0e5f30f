"""Where a webhook may be sent: never to an internal address (SSRF, docs/outgoing-webhooks.md).

An Administrator types the URL and the worker POSTs to it, from inside the provider's network:
a URL naming 127.0.0.1, a private network or the cloud's metadata service (169.254.169.254)
would make the worker talk to what only it can reach. Refused: loopback, private (RFC 1918,
fc00::/7), link-local (169.254/16, fe80::/10), unspecified, multicast, reserved and any other
non-global address, and the IPv4 ones written as IPv6 (::ffff:a.b.c.d, 6to4, Teredo).

Checked when the URL is saved and again on every connection: a name may resolve elsewhere
later (DNS rebinding), so the worker resolves it itself, checks every address, and connects to
an address it checked (`CheckedBackend`), never resolving twice. TLS still verifies the name.
`PAYDESK_OUTHOOKS_ALLOW_PRIVATE` turns the address check off (the demo's and local receivers).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """A receiver's address is an internal one (the message says which and why)."""


def address_kind(address: Address) -> str:
    """Why `address` may not receive webhooks ("loopback", "private", …); "" when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            kind = address_kind(embedded)
            return f"{kind} (IPv4 {embedded} inside IPv6)" if kind else ""
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    ):
        if flag:
            return kind
    return ""


def host_resolve(host: str, port: int) -> list[Address]:
    """Every address `host` stands for (itself when it is an IP address); OSError when the name
    does not resolve."""
    bare = host.strip("[]")
    literal = host_literal(bare)
    if literal is not None:
        return [literal]
    found: list[Address] = []
    for *_, sockaddr in socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise OSError(f"{bare} has no address")
    return found


def host_check(host: str, port: int) -> list[Address]:
    """The addresses of `host`, every one checked; AddressRefused names the first internal one."""
    addresses = host_resolve(host, port)
    shown = host.strip("[]")
    for address in addresses:
        kind = address_kind(address)
        if kind:
            literal = address == host_literal(shown)
            named = f"{address} is" if literal else f"{shown} resolves to {address},"
            raise AddressRefused(f"{named} a {kind} address")
    return addresses


def host_literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses it has just checked."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = host_check(host, port)
        except OSError as exc:  # the name does not resolve (now)
            raise httpcore.ConnectError(f"{host} cannot be resolved: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure


class CheckedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose every connection goes through
    CheckedBackend (httpx 0.28's HTTPTransport takes no network backend, so its pool is
    replaced by one built the same way with ours). Proxies from the environment are not used:
    they would connect to the receiver on our behalf, unchecked."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,  # httpx's default limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=CheckedBackend(),
        )


def url_shown(url: str) -> str:
    """An endpoint's URL as logs and emails name it: its scheme and host (port included), and
    "/…" for the rest. A receiver's token often sits in the path or the query
    (`https://hooks.example.com/T01/XyZ…?token=…`), and a log line or an email is read by more
    people than the back office's endpoint page."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an address that is not a URL)"
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    return shown + ("/…" if parts.path.strip("/") or parts.query or parts.fragment else "/")
