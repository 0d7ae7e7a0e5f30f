"""Who may make payments for a customer: the one rule (paydesk.accounts.payers), as worked
examples. Each entry point that pays or offers to has its own test that it asks the rule; see
docs/architecture.md, "Who may pay", for the list."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from paydesk.accounts.payers import (
    PayerRefusal,
    may_make_payments,
    payer_refusal,
    payer_required,
)
from paydesk.errors import PermissionDenied
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_payer_may_pay_for_their_own_customer_only(customer):
    payer = PortalUserFactory(customer=customer)
    assert may_make_payments(user=payer, customer=customer)
    assert payer_refusal(user=payer, customer=customer) is None
    assert payer_refusal(user=payer, customer=CustomerFactory()) is PayerRefusal.NOT_THEIRS


def test_a_bookkeeper_staff_a_deactivated_payer_and_a_stranger_may_not(customer):
    bookkeeper = PortalUserFactory(customer=customer, can_make_payments=False)
    deactivated = PortalUserFactory(customer=customer, is_active=False)
    finance = StaffFactory(staff_role="finance")  # moves money in the back office, not here
    assert finance.can_make_payments  # the field's default: the rule does not read it for staff
    refusals = {
        "bookkeeper": payer_refusal(user=bookkeeper, customer=customer),
        "staff": payer_refusal(user=finance, customer=customer),
        "deactivated": payer_refusal(user=deactivated, customer=customer),
        "stranger": payer_refusal(user=AnonymousUser(), customer=customer),
        "nobody": payer_refusal(user=None, customer=customer),
    }
    assert refusals == {
        "bookkeeper": PayerRefusal.VIEW_ONLY,
        "staff": PayerRefusal.NOT_THEIRS,
        "deactivated": PayerRefusal.SIGNED_OUT,
        "stranger": PayerRefusal.SIGNED_OUT,
        "nobody": PayerRefusal.SIGNED_OUT,
    }


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("bookkeeper", "Your user may view payments but not make them."),
        ("other", "You can redeem vouchers only for your own account."),
        ("deactivated", "Sign in to redeem a voucher."),
    ],
)
def test_the_refusal_names_what_was_attempted(customer, who, message):
    users = {
        "bookkeeper": lambda: PortalUserFactory(customer=customer, can_make_payments=False),
        "other": lambda: PortalUserFactory(),
        "deactivated": lambda: PortalUserFactory(customer=customer, is_active=False),
    }
    with pytest.raises(PermissionDenied) as refused:
        payer_required(
            user=users[who](),
            customer=customer,
            sign_in="Sign in to redeem a voucher.",
            not_theirs="You can redeem vouchers only for your own account.",
        )
    assert refused.value.message == message
