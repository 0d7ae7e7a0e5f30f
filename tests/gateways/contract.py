"""Shared by the contract tests (tests/gateways/test_contract_*.py): a guard that proves a
library call made no network connection, Hypothesis settings, and one-byte tampering.

The contract tests check Paydesk's signature verifiers against something that is not Paydesk's
code: the gateway's official library where one exists (razorpay, stripe, paypalrestsdk), else an
implementation of the gateway's documented algorithm written inside the test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The autouse settings fixture of tests/gateways/conftest.py is function-scoped; the tests here
# read no setting, so sharing it across Hypothesis examples is harmless.
CONTRACT = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class NetworkUsed(AssertionError):
    """A library call tried to open a network connection."""


@contextmanager
def no_network() -> Iterator[None]:
    """Any connection or name lookup inside the block fails the test (AF_UNIX included)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkUsed(f"network used: {args[1:] or args}")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket.socket, "connect_ex", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
        mock.patch.object(socket, "create_connection", refuse),
    ):
        yield


def ascii_positions(data: bytes) -> list[int]:
    return [index for index, byte in enumerate(data) if byte < 0x80]


def one_byte_changed(data: bytes, index: int) -> bytes:
    """`data` with the ASCII byte at `index` replaced by another ASCII byte (still UTF-8)."""
    assert data[index] < 0x80
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def one_hex_digit_changed(signature: str, index: int) -> str:
    digit = signature[index]
    other = "0123456789abcdef"[("0123456789abcdef".index(digit.lower()) + 1) % 16]
    return signature[:index] + other + signature[index + 1 :]


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=20),
    st.sampled_from(["captured", "INR", "pay_29QQoUBi66xm2f", "order_9A33XWu170gUtm", "₹"]),
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    """A webhook body as a gateway might post it: a JSON object, compact or spaced, with or
    without non-ASCII characters escaped."""
    value = {"event": draw(st.text(min_size=1, max_size=20)), "payload": draw(JSON_VALUES)}
    separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    return json.dumps(value, separators=separators, ensure_ascii=draw(st.booleans())).encode(
        "utf-8"
    )
