"""Who may manage billing for a customer: the one rule (paydesk.accounts.billing_managers), as
worked examples, and the guard that nothing else decides it (docs/architecture.md, "Who may
manage billing")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from paydesk.accounts.billing_managers import (
    BillingRefusal,
    billing_manager_required,
    billing_refusal,
    may_manage_billing,
)
from paydesk.errors import PermissionDenied
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "paydesk"


def test_a_billing_manager_manages_their_own_customer_only(customer):
    manager = PortalUserFactory(customer=customer, can_manage_billing=True, can_make_payments=False)
    assert may_manage_billing(user=manager, customer=customer)  # paying is another permission
    assert billing_refusal(user=manager, customer=CustomerFactory()) is BillingRefusal.NOT_THEIRS


def test_a_bookkeeper_staff_a_deactivated_user_and_a_stranger_may_not(customer):
    refusals = {
        "bookkeeper": billing_refusal(user=PortalUserFactory(customer=customer), customer=customer),
        "staff": billing_refusal(user=StaffFactory(staff_role="admin"), customer=customer),
        "deactivated": billing_refusal(
            user=PortalUserFactory(customer=customer, is_active=False), customer=customer
        ),
        "stranger": billing_refusal(user=AnonymousUser(), customer=customer),
        "nobody": billing_refusal(user=None, customer=customer),
    }
    assert refusals == {
        "bookkeeper": BillingRefusal.NO_BILLING,
        "staff": BillingRefusal.NOT_THEIRS,
        "deactivated": BillingRefusal.SIGNED_OUT,
        "stranger": BillingRefusal.SIGNED_OUT,
        "nobody": BillingRefusal.SIGNED_OUT,
    }


def test_the_refusal_names_what_was_attempted(customer):
    bookkeeper = PortalUserFactory(customer=customer, can_manage_billing=False)
    words = {"sign_in": "Sign in to do it.", "not_theirs": "Only your own account."}
    with pytest.raises(PermissionDenied, match="Your user may not manage billing."):
        billing_manager_required(user=bookkeeper, customer=customer, **words)
    with pytest.raises(PermissionDenied, match="Only your own account."):
        billing_manager_required(user=bookkeeper, customer=CustomerFactory(), **words)


def test_the_billing_link_follows_the_rule_on_every_page(customer):
    """The template context's `may_manage_billing` (accounts.context.billing_manager) shows the
    Billing link to a billing manager, never to a bookkeeper."""
    links = {}
    for name, billing in (("manager", True), ("bookkeeper", False)):
        client = Client()
        client.force_login(PortalUserFactory(customer=customer, can_manage_billing=billing))
        page = client.get("/")
        links[name] = (page.context["may_manage_billing"](), 'href="/billing/"' in page.text)
    assert links == {"manager": (True, True), "bookkeeper": (False, False)}


def _permission_reads(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "can_manage_billing"
        and isinstance(node.ctx, ast.Load)
    ]


def test_only_the_rule_reads_the_permission():
    """Views, the API, services and templates ask may_manage_billing (or the decorator and the
    API's billing_customer built on it); none reads the user's flag itself. The command line's
    user listing prints the stored flag, deciding nothing."""
    allowed = {"accounts/billing_managers.py", "cli/serialize.py"}
    readers = {
        str(path.relative_to(SRC)): lines
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and (lines := _permission_reads(path))
    }
    assert set(readers) <= allowed, readers
    templates = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.html")
        if "can_manage_billing" in path.read_text()
    ]
    assert templates == []
