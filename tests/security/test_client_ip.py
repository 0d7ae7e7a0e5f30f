"""The client's address behind reverse proxies (PAYDESK_TRUSTED_PROXIES): read from the entry
the nearest trusted proxy wrote in X-Forwarded-For, never from what the client wrote itself; so
behind a proxy one customer's voucher guesses do not lock out everyone else (S6), and the audit
log records the customer's address, not the proxy's."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from paydesk.audit.models import AuditEntry
from paydesk.web.client_ip import address_scope, client_ip
from tests.factories import PASSWORD, PortalUserFactory
from tests.vouchers.conftest import issue  # noqa: F401 (fixture)

PROXY = "10.0.0.5"


def request(forwarded: str = "", remote: str = PROXY):
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", PROXY),  # no proxy configured: a forged header changes nothing
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own entry is not believed
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # fewer hops than configured: the peer is all we know
        (1, "not-an-address", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "", PROXY),
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.PAYDESK_TRUSTED_PROXIES = proxies
    assert client_ip(request(forwarded)) == expected


@pytest.mark.django_db
def test_behind_a_proxy_sign_in_is_audited_with_the_customers_address(settings):
    settings.PAYDESK_TRUSTED_PROXIES = 1
    user = PortalUserFactory()
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.23")
    client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    entry = AuditEntry.objects.get(action="auth.sign_in")
    assert entry.ip_address == "198.51.100.23"


@pytest.mark.django_db
def test_behind_a_proxy_one_customers_voucher_guesses_do_not_lock_out_another(
    settings,
    issue,  # noqa: F811 (the fixture)
):
    settings.PAYDESK_TRUSTED_PROXIES = 1
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 2
    from paydesk.errors import RateLimited, VoucherRejected
    from paydesk.vouchers.codes import voucher_code_new
    from paydesk.vouchers.services import voucher_redeem

    guesser, honest = PortalUserFactory(), PortalUserFactory()
    [good] = issue()

    def redeem(user, code, forwarded):
        return voucher_redeem(
            code=code,
            customer=user.customer,
            currency=user.customer.currency,
            user=user,
            ip_address=client_ip(request(forwarded)),
        )

    for _ in range(2):
        with pytest.raises(VoucherRejected):
            redeem(guesser, voucher_code_new(), "198.51.100.23")
    with pytest.raises(RateLimited):
        redeem(guesser, good, "198.51.100.23")
    redemption = redeem(honest, good, "203.0.113.7")  # same proxy, another customer: fine
    assert redemption.payment is not None


@pytest.mark.parametrize(
    ("address", "scope"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::10", "2001:db8:1:2::"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::"),
        ("2001:db8:1:3::1", "2001:db8:1:3::"),
        # An IPv4 client of a dual-stack socket is itself, never the /64 every such client
        # shares (::), which would count all of them as one.
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (" not-an-address ", "not-an-address"),
    ],
)
def test_limits_count_an_ipv6_client_by_its_64(address, scope):
    assert address_scope(address) == scope
