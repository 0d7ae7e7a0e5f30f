"""Fixtures for bank transfers: pending transfers made through the ledger service (as the
checkout creates them), the provider's bank details, Finance users and small real files."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.ledger.services import payment_create
from tests.backoffice.browser import chromium, demo  # noqa: F401 (fixtures for browser tests)
from tests.factories import StaffFactory
from tests.signin import sign_in

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\x0aIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML_BYTES = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def transfer(customer, total="250", **extra):
    """A pending bank transfer, created the way the checkout creates one."""
    return payment_create(
        customer=customer,
        total=total,
        description="Bank transfer",
        status="pending",
        method="bank_transfer",
        gateway="bank_transfer",
        **extra,
    )


def signed_in(user) -> Client:
    return sign_in(Client(), user, backend=MODEL_BACKEND)


@pytest.fixture
def pending(customer):
    return transfer(customer)


@pytest.fixture
def second_finance_user(db):
    return StaffFactory(staff_role="finance")


@pytest.fixture
def bank_details(admin_user):
    from paydesk.banktransfers.services import bank_details_update

    return bank_details_update(
        actor=admin_user,
        beneficiary_name="Paydesk Telecom Ltd",
        account_number="GB29 NWBK 6016 1331 9268 19",
        bank_name="Northwind Bank",
        bank_address="1 Harbour Street\nLondon EC1A 1AA",
        swift="NWBKGB2L",
    )


@pytest.fixture
def portal_client(portal_user) -> Client:
    return signed_in(portal_user)
