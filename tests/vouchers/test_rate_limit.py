"""S6: voucher guessing is rate-limited per user, per customer and per IP address."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.errors import RateLimited, VoucherRejected
from paydesk.vouchers.codes import voucher_code_new
from paydesk.vouchers.models import VoucherStatus
from paydesk.vouchers.selectors import voucher_find_by_code
from paydesk.vouchers.services import voucher_redeem
from tests.factories import PortalUserFactory

pytestmark = pytest.mark.django_db
LIMIT = 5


@pytest.fixture(autouse=True)
def limit(settings):
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = LIMIT
    settings.PAYDESK_VOUCHER_FAILURE_WINDOW = 900


def attempt(user, code, ip):
    return voucher_redeem(
        code=code,
        customer=user.customer,
        currency=user.customer.currency,
        user=user,
        ip_address=ip,
    )


def guess_until_the_limit(user, ip):
    for _ in range(LIMIT):
        with pytest.raises(VoucherRejected):
            attempt(user, voucher_code_new(), ip)


def test_past_the_limit_the_same_user_is_refused_even_with_a_good_code(issue, portal_user):
    [good] = issue()
    guess_until_the_limit(portal_user, "192.0.2.10")
    with pytest.raises(RateLimited) as caught:
        attempt(portal_user, good, "192.0.2.99")  # another IP does not help the same user
    assert caught.value.code == "rate_limited"
    assert caught.value.retry_after == 900
    assert voucher_find_by_code(code=good).status == VoucherStatus.AVAILABLE
    entry = AuditEntry.objects.get(action="voucher.failure_limit")
    assert set(entry.after["scopes"]) == {"user", "customer", "ip"}


def test_past_the_limit_another_user_of_the_same_customer_is_refused(issue, portal_user):
    [good] = issue()
    colleague = PortalUserFactory(customer=portal_user.customer)
    guess_until_the_limit(portal_user, "192.0.2.10")
    with pytest.raises(RateLimited):
        attempt(colleague, good, "192.0.2.20")


def test_past_the_limit_a_user_of_another_customer_from_the_same_ip_is_refused(issue, portal_user):
    [good] = issue()
    neighbour = PortalUserFactory()
    guess_until_the_limit(portal_user, "192.0.2.10")
    with pytest.raises(RateLimited):
        attempt(neighbour, good, "192.0.2.10")
    attempt(neighbour, good, "192.0.2.11")  # the same user elsewhere is not limited
    neighbour.customer.refresh_from_db()
    assert neighbour.customer.balance == Decimal("5")


def test_ipv6_addresses_are_limited_by_their_64_bit_prefix(issue, portal_user):
    [good] = issue()
    neighbour = PortalUserFactory()
    guess_until_the_limit(portal_user, "2001:db8:1:2::10")
    with pytest.raises(RateLimited):
        attempt(neighbour, good, "2001:db8:1:2:ffff::1")


def test_ipv4_clients_of_a_dual_stack_socket_are_each_their_own_address(issue, portal_user):
    """Behind a socket listening on IPv6 an IPv4 client arrives as ::ffff:a.b.c.d; by its /64
    every such client was one (::), and one customer's guesses locked everyone out."""
    [good] = issue()
    neighbour = PortalUserFactory()
    guess_until_the_limit(portal_user, "::ffff:192.0.2.10")
    attempt(neighbour, good, "::ffff:192.0.2.11")
    neighbour.customer.refresh_from_db()
    assert neighbour.customer.balance == Decimal("5")


def test_successes_do_not_count_as_failures(issue, portal_user):
    codes = issue(count=LIMIT + 2)
    for code in codes:
        attempt(portal_user, code, "192.0.2.10")
    guess_until_the_limit(portal_user, "192.0.2.10")  # still LIMIT failures allowed
    with pytest.raises(RateLimited):
        attempt(portal_user, voucher_code_new(), "192.0.2.10")


def test_every_kind_of_failure_counts_including_a_bad_check_character(issue, portal_user):
    [used] = issue()
    attempt(portal_user, used, "192.0.2.10")
    [euro] = issue(currency="EUR")
    good = voucher_code_new()
    failures = [used, euro, good[:-1] + ("A" if good[-1] != "A" else "B"), "", good]
    for code in failures:
        with pytest.raises(VoucherRejected):
            attempt(portal_user, code, "192.0.2.10")
    with pytest.raises(RateLimited):
        attempt(portal_user, good, "192.0.2.10")


def test_a_refused_attempt_is_not_looked_up_and_the_limit_is_not_a_rejection(portal_user):
    guess_until_the_limit(portal_user, "192.0.2.10")
    for _ in range(3):
        with pytest.raises(RateLimited):
            attempt(portal_user, voucher_code_new(), "192.0.2.10")
    assert AuditEntry.objects.filter(action="voucher.failure_limit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_slip_past_the_limit(portal_user):
    from tests.vouchers.conftest import run_at_once

    outcomes = run_at_once(16, lambda i: attempt(portal_user, voucher_code_new(), "192.0.2.10"))

    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds == ["RateLimited"] * (16 - LIMIT) + ["VoucherRejected"] * LIMIT
