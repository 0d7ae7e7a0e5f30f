"""No webhook to an internal address (SSRF, paydesk.outhooks.addresses): refused when the URL is
saved and again when it is delivered (the name resolved then, every address checked, and the
connection made to the checked address), unless PAYDESK_OUTHOOKS_ALLOW_PRIVATE is on."""

from __future__ import annotations

import ipaddress
import socket

import httpcore
import pytest

from paydesk.ledger.services import payment_create
from paydesk.outhooks.addresses import AddressRefused, CheckedBackend, address_kind
from paydesk.outhooks.delivery import deliveries_send_due
from paydesk.outhooks.models import Attempt, Delivery, Endpoint
from paydesk.outhooks.services import WebhookAddressRefused, endpoint_create, endpoint_update
from tests.factories import StaffFactory
from tests.outhooks.receiver import Receiver

# One address of each class, and the class it is refused as.
INTERNAL = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"),  # the cloud's metadata service
    ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "non-public"),  # carrier-grade NAT
    ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1 inside IPv6)"),
    ("::ffff:169.254.169.254", "link-local (IPv4 169.254.169.254 inside IPv6)"),
    ("::ffff:10.0.0.1", "private (IPv4 10.0.0.1 inside IPv6)"),
    ("2002:7f00:1::", "loopback (IPv4 127.0.0.1 inside IPv6)"),  # 6to4
]


def url_of(address: str, port: int = 8080) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}/hooks"


@pytest.fixture
def refusing(settings):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = False
    return settings


@pytest.fixture
def admin(db):
    return StaffFactory(staff_role="admin")


@pytest.mark.parametrize(("address", "kind"), INTERNAL)
def test_each_class_of_internal_address_is_named(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert address_kind(ipaddress.ip_address(address)) == ""


@pytest.mark.parametrize(("address", "kind"), INTERNAL)
def test_refused_at_save(refusing, admin, address, kind):
    with pytest.raises(WebhookAddressRefused) as refused:
        endpoint_create(url=url_of(address), actor=admin)
    assert refused.value.field == "url" and refused.value.code == "webhook_address_refused"
    assert f"a {kind} address" in refused.value.message
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://localhost:8080/hooks", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://2130706433/hooks", "127.0.0.1, a loopback address"),  # 127.0.0.1 as a number
        ("http://0x7f.1/hooks", "127.0.0.1, a loopback address"),
    ],
)
def test_names_are_resolved_at_save(refusing, admin, url, named):
    with pytest.raises(WebhookAddressRefused, match=named):
        endpoint_create(url=url, actor=admin)


def test_a_change_to_an_internal_address_is_refused(refusing, admin):
    made = endpoint_create(
        url="https://hooks.example.invalid/x", actor=admin
    )  # resolves to nothing
    with pytest.raises(WebhookAddressRefused):
        endpoint_update(endpoint=made.endpoint, actor=admin, url="https://169.254.169.254/x")
    assert Endpoint.objects.get().url == "https://hooks.example.invalid/x"


def test_the_allow_setting_accepts_them(settings, admin):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True
    for address, _kind in INTERNAL[:3]:
        endpoint_create(url=url_of(address), actor=admin)
    endpoint_create(url="http://localhost:8080/hooks", actor=admin)
    assert Endpoint.objects.count() == 4


def _saved(admin, url: str) -> Endpoint:
    """An endpoint at `url` as if saved before the rules (or the name's addresses) changed."""
    made = endpoint_create(url="https://hooks.example.invalid/x", actor=admin)
    Endpoint.objects.filter(pk=made.endpoint.pk).update(url=url)
    return made.endpoint


@pytest.mark.parametrize(("address", "kind"), INTERNAL)
def test_refused_at_delivery(refusing, admin, customer, address, kind):
    _saved(admin, url_of(address))
    payment_create(customer=customer, total="5.00", description="Top-up")
    assert deliveries_send_due() == 0
    attempt = Attempt.objects.first()
    assert attempt.status_code is None and not attempt.ok
    shown = ipaddress.ip_address(address)  # as httpx writes it: ::ffff:7f00:1
    assert f"Refused: {shown} is a {kind} address" in attempt.error
    assert "PAYDESK_OUTHOOKS_ALLOW_PRIVATE" in attempt.error
    assert Delivery.objects.filter(status="pending").count() == 2  # retried later, as any failure


def test_a_name_resolving_to_loopback_is_refused_at_delivery_and_allowed_with_the_setting(
    settings, admin, customer
):
    receiver = Receiver(secret="").start()
    try:
        settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True
        made = endpoint_create(url=f"http://localhost:{receiver.port}/hooks", actor=admin)
        receiver.secret = made.secret
        settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = False
        payment_create(customer=customer, total="5.00", description="Top-up")
        assert deliveries_send_due() == 0
        assert receiver.requests == []  # nothing reached it
        errors = set(Attempt.objects.values_list("error", flat=True))
        assert len(errors) == 1
        assert "Refused: localhost resolves to 127.0.0.1, a loopback address" in errors.pop()
        settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True
        Delivery.objects.update(next_attempt_at=Delivery.objects.first().created_at)
        assert deliveries_send_due() == 2
        assert len(receiver.events) == 2 and receiver.bad_signatures == 0
    finally:
        receiver.stop()


def test_http_is_refused_at_delivery_once_it_is_no_longer_allowed(settings, admin, customer):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True
    _saved(admin, "http://hooks.example.invalid/x")
    settings.PAYDESK_OUTHOOKS_ALLOW_HTTP = False
    payment_create(customer=customer, total="5.00", description="Top-up")
    assert deliveries_send_due() == 0
    assert "not https://" in Attempt.objects.first().error


class Resolver:
    """socket.getaddrinfo answering each call with the next address (a name rebinding)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host, port, *args, **kwargs):
        self.calls += 1
        address = self.answers.pop(0)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


def test_rebinding_after_save_is_refused_at_delivery(refusing, admin, customer, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("93.184.215.14", "127.0.0.1"))
    made = endpoint_create(url="https://rebind.example.com/x", actor=admin)
    assert made.endpoint.pk  # public when saved
    payment_create(customer=customer, total="5.00", description="Top-up")
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("127.0.0.1", "127.0.0.1"))
    assert deliveries_send_due() == 0
    assert "rebind.example.com resolves to 127.0.0.1, a loopback" in Attempt.objects.first().error


def test_the_connection_goes_to_the_checked_address_without_resolving_again(monkeypatch):
    """Resolved once per connection: a second answer (127.0.0.1) is never asked for, and the
    socket is opened to the address that was checked."""
    resolver = Resolver("93.184.215.14", "127.0.0.1")
    opened: list[tuple] = []

    def create_connection(address, *args, **kwargs):
        opened.append(address)
        raise OSError("no network in the test")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(httpcore.ConnectError):
        CheckedBackend().connect_tcp("rebind.example.com", 443, timeout=1)
    assert resolver.calls == 1 and opened == [("93.184.215.14", 443)]


def test_every_address_of_a_name_is_checked(monkeypatch):
    def two(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two)
    with pytest.raises(AddressRefused, match="resolves to 10.0.0.7, a private address"):
        CheckedBackend().connect_tcp("mixed.example.com", 443, timeout=1)


def test_production_settings_require_https_and_refuse_internal_addresses(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/p")
    monkeypatch.setenv("PAYDESK_OUTHOOKS_ALLOW_HTTP", "1")  # ignored there
    monkeypatch.delenv("PAYDESK_OUTHOOKS_ALLOW_PRIVATE", raising=False)
    sys.modules.pop("paydesk.settings.production", None)
    try:
        production = importlib.import_module("paydesk.settings.production")
        assert production.PAYDESK_OUTHOOKS_ALLOW_HTTP is False
        assert production.PAYDESK_OUTHOOKS_ALLOW_PRIVATE is False
    finally:
        sys.modules.pop("paydesk.settings.production", None)
