"""The one way a gateway client talks HTTP: httpx with a total deadline, answers read as JSON with
exact decimals, and every exchange handed to the payment log's recorder (redacted) before anything
else happens with it.

The deadline (PAYDESK_GATEWAY_TIMEOUT, seconds) is for the whole call — connecting, sending, and
the answer's last byte — not per network operation, as httpx's own timeouts are: a gateway (or
anything between) trickling its answer a byte at a time would otherwise hold a worker or a
customer's request for as long as it likes. `deadline_transport` enforces it at the socket:
every read and write may wait only what is left of the call's time (`DeadlineBackend`). Stripe's
SDK is given the same transport (gateways/stripe/client.py).

What a failure means is decided here, once, for every gateway (quality.md R6):
- no answer in time, a refused connection, HTTP 5xx, or a body that is not JSON →
  GatewayUnavailable: the payment stays pending with that reason and reconciliation asks again;
- HTTP 4xx → returned to the client, which knows its gateway's error shapes (a declined card, a
  duplicate reference) and raises GatewayError or GatewayDeclined itself.

Base URLs: every gateway's API base is a setting. When it is empty, the live API is used, or the
sandbox mounted in this app when PAYDESK_SANDBOX is on (demo and tests): the client code is the
same either way (spec §9). Never logs a header (keys live there) or a full body.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from paydesk.errors import GatewayUnavailable
from paydesk.gateways.base import redact
from paydesk.gateways.credentials import gateway_credential

logger = logging.getLogger("paydesk.gateways")

SUMMARY_KEYS = 40  # at most this many fields of a body reach the payment log


def gateway_base_url(setting: str, *, live: str, sandbox_path: str) -> str:
    """The API base for one gateway: the setting if given, else the sandbox (when on), else live.

    Read at call time, never at import: tests point PAYDESK_PUBLIC_URL at their live server.
    """
    explicit = gateway_credential(setting).strip()
    if explicit:
        return explicit.rstrip("/")
    return default_base_url(live=live, sandbox_path=sandbox_path)


def default_base_url(*, live: str, sandbox_path: str) -> str:
    """The sandbox's address for a gateway when the sandbox is on, else its live API."""
    if settings.PAYDESK_SANDBOX:
        return f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}/sandbox/{sandbox_path.strip('/')}"
    return live.rstrip("/")


def public_url(path: str) -> str:
    """An absolute URL of this Paydesk (return URLs, webhook URLs) from PAYDESK_PUBLIC_URL."""
    return f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}/{path.lstrip('/')}"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of `url` ('' when it has none): what a CSP source names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def summarize(body: Any, *, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """Flatten a JSON body (or form fields) to at most SUMMARY_KEYS dotted keys → text.
    Redaction happens in `redact`, applied to the result."""
    flat: dict[str, str] = {}
    if isinstance(body, Mapping):
        items = list(body.items())
    elif isinstance(body, list | tuple):
        items = [(str(i), v) for i, v in enumerate(body)]
    else:
        return {prefix or "body": str(body)[:200]} if body not in (None, "") else {}
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping | list | tuple) and depth < 3:
            flat.update(summarize(value, prefix=name, depth=depth + 1))
        else:
            flat[name] = str(value)[:200]
        if len(flat) >= SUMMARY_KEYS:
            break
    return dict(list(flat.items())[:SUMMARY_KEYS])


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request Paydesk made to a gateway and what came back, fit for the payment log."""

    gateway: str
    method: str
    path: str  # without the query string
    status: int | None  # None: no answer
    duration_ms: int
    payment_reference: str = ""
    idempotency_key: str = ""
    error: str = ""
    request_summary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    response_summary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def record_exchange(exchange: Exchange) -> None:
    """Hand `exchange` to the recorder named by PAYDESK_GATEWAY_RECORDER. A failing recorder
    never fails the payment: it is logged and the exchange is dropped."""
    try:
        import_string(settings.PAYDESK_GATEWAY_RECORDER)(exchange)
    except Exception:  # the payment log must never be why a payment fails
        logger.exception("Could not record a %s request in the payment log.", exchange.gateway)


@dataclass(frozen=True, slots=True)
class Answer:
    """A gateway's answer below 500: its status and its JSON body (decimals exact)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _json(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most what is left of its backend's
    deadline (and at most httpx's own per-operation timeout); none left → httpx's timeout."""

    def __init__(self, stream: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._backend.wait(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # A socket send waits per call: send in pieces, each within what is left.
        for start in range(0, len(buffer), WRITE_PIECE):
            piece = buffer[start : start + WRITE_PIECE]
            self._stream.write(piece, self._backend.wait(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = self._backend.wait(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, wait), self._backend
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


WRITE_PIECE = 16 * 1024


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each operation bounded by one deadline set per request."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner
        self.ends = math.inf

    def wait(self, timeout: float | None, error: type[Exception]) -> float:
        """How long the next operation may wait: httpx's timeout, cut to what is left."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise error("The gateway call's deadline has passed.")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        wait = self.wait(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, wait, local_address, socket_options)
        return DeadlineStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        wait = self.wait(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, wait, socket_options), self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.BaseTransport):
    """httpx's transport with a total deadline of `seconds` for each request, from its start to
    the last byte of its answer (module docstring)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._transport = httpx.HTTPTransport()
        pool = self._transport._pool  # httpx builds its httpcore pool; its sockets get ours
        self._backend = DeadlineBackend(pool._network_backend)
        pool._network_backend = self._backend

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._backend.ends = time.monotonic() + self.seconds
        return self._transport.handle_request(request)

    def close(self) -> None:
        self._transport.close()


def deadline_transport(seconds: float | None = None) -> DeadlineTransport:
    """A transport whose every request must be over within `seconds` (PAYDESK_GATEWAY_TIMEOUT by
    default); past it, httpx's timeout error (TimeoutException) is raised."""
    return DeadlineTransport(seconds if seconds is not None else settings.PAYDESK_GATEWAY_TIMEOUT)


class GatewayHttp:
    """A small JSON-over-HTTP client for one gateway. Build one per call (cheap): settings are
    read each time, so a base URL or key change needs no restart of anything but the process."""

    def __init__(
        self,
        *,
        gateway: str,
        display_name: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.gateway = gateway
        self.display_name = display_name
        self.base_url = base_url.rstrip("/")
        self._client_options: dict[str, Any] = {
            "headers": dict(headers or {}),
            "auth": auth,
            "timeout": timeout if timeout is not None else settings.PAYDESK_GATEWAY_TIMEOUT,
            "follow_redirects": False,
        }
        self._transport = transport

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        payment_reference: str = "",
        idempotency_key: str = "",
    ) -> Answer:
        """Send one request; GatewayUnavailable when there is no usable answer (see module)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        started = time.monotonic()
        status: int | None = None
        error = ""
        body: Any = None
        sent = json_body if json_body is not None else dict(form or {})
        try:
            with httpx.Client(**self._client_options, transport=self._new_transport()) as client:
                extra = dict(headers or {})
                content = None
                if json_body is not None:
                    content = encode_json(json_body)
                    extra.setdefault("Content-Type", "application/json")
                response = client.request(
                    method,
                    url,
                    content=content,
                    data=dict(form) if form is not None else None,
                    params=dict(params) if params else None,
                    headers=extra,
                )
            status = response.status_code
            if status >= 500:
                error = f"{self.display_name} answered HTTP {status}."
            else:
                try:
                    body = _json(response.content) if response.content else {}
                except ValueError:
                    error = f"{self.display_name} answered something that is not JSON."
        except httpx.TimeoutException:
            error = f"{self.display_name} did not answer within {self._timeout_text()}."
        except httpx.HTTPError as failure:
            error = f"{self.display_name} could not be reached ({type(failure).__name__})."
        record_exchange(
            Exchange(
                gateway=self.gateway,
                method=method.upper(),
                path=httpx.URL(url).path,
                status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                payment_reference=payment_reference,
                idempotency_key=idempotency_key,
                error=error,
                request_summary=redact(summarize(sent)),
                response_summary=redact(summarize(body)),
            )
        )
        if error:
            logger.warning("%s %s %s: %s", self.gateway, method.upper(), httpx.URL(url).path, error)
            raise GatewayUnavailable(error)
        return Answer(status=status or 0, body=body)

    def _new_transport(self) -> httpx.BaseTransport:
        """The given transport (tests), else a new one with this call's total deadline."""
        if self._transport is not None:
            return self._transport
        timeout = self._client_options["timeout"]
        return deadline_transport(timeout if isinstance(timeout, int | float) else None)

    def _timeout_text(self) -> str:
        timeout = self._client_options["timeout"]
        return f"{timeout:g} s" if isinstance(timeout, int | float) else "its time limit"


class JsonNumber(Decimal):
    """An exact decimal sent as a JSON *number* (NOWPayments wants `price_amount: 10.5`);
    a plain Decimal is sent as a string ("10.50"), which is what most gateways want."""


def encode_json(value: Any) -> bytes:
    """Compact JSON with exact decimals: JsonNumber → a number literal, Decimal → a string."""
    return _encode(value).encode()


def _encode(value: Any) -> str:
    if isinstance(value, JsonNumber):
        if not value.is_finite():
            raise ValueError("A JSON number must be finite.")
        return format(value, "f")
    if isinstance(value, Decimal):
        return json.dumps(str(value))
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("Money never travels as a float: use Decimal or JsonNumber.")
    return json.dumps(value, ensure_ascii=False)


Recorder = Callable[[Exchange], None]
