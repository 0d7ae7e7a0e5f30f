"""The back office's import page: Administrators only; a preview (rows per customer in the
currency's decimals, every refusal by line) before anything is written; the import itself."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from paydesk.imports.models import ImportedPayment
from paydesk.ledger.models import Payment
from tests.signin import sign_in

SAMPLES = Path(__file__).parent / "samples"
URL = "/backoffice/imports/importedpayment/import/"
pytestmark = pytest.mark.django_db


def upload(client: Client, name: str, content: bytes, **fields: str):
    return client.post(
        URL,
        {
            "action": "preview",
            "payments_file": SimpleUploadedFile(name, content, content_type="text/csv"),
            "file_format": "connexcs",
            **fields,
        },
    )


def test_preview_then_import(admin_user, customer):
    client = sign_in(Client(), admin_user)
    assert client.get(URL).status_code == 200

    preview = upload(
        client, "acme.csv", (SAMPLES / "connexcs.csv").read_bytes(), customer=customer.slug
    )

    page = preview.content.decode()
    assert preview.status_code == 200
    assert "5 payment(s) to import; 0 skipped as already imported; 0 line(s) refused." in page
    assert "$100.00" in page and "-$12.50" in page  # the currency's decimals
    assert "Überweisung Januar — Müller GmbH" in page
    assert "Completed payments add $80.25 USD to the balance." in page
    assert not Payment.objects.exists()  # a preview writes nothing

    done = client.post(URL, {"action": "import", "token": preview.context["token"]})

    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.balance == Decimal("80.25")
    assert ImportedPayment.objects.filter(imported_by=admin_user).count() == 5
    listing = client.get(done["Location"]).content.decode()
    assert "Imported 5 payment(s); skipped 0 already imported; refused 0." in listing


def test_refused_lines_are_listed_and_no_import_is_offered(admin_user, customer):
    client = sign_in(Client(), admin_user)
    bad = b"Date / Time,Total,Status,Description\n2025-01-01 10:00,5,Completed,No zone\n"

    page = upload(client, "bad.csv", bad, customer=customer.slug).content.decode()

    assert "Line 2" in page and "has no time zone" in page
    assert 'name="action" value="import"' not in page
    client.post(URL, {"action": "import", "token": "forged"})
    assert not Payment.objects.exists()


def test_a_file_that_is_not_utf8_gets_a_field_message(admin_user, customer):
    client = sign_in(Client(), admin_user)
    page = upload(client, "latin1.csv", "Überweisung".encode("latin-1"), customer=customer.slug)
    assert "That file is not UTF-8 text." in page.content.decode()


@pytest.mark.parametrize("role", ["finance", "support"])
def test_only_administrators(role, customer):
    from tests.factories import StaffFactory

    client = sign_in(Client(), StaffFactory(staff_role=role))
    assert client.get(URL).status_code == 403
    response = upload(
        client, "acme.csv", (SAMPLES / "connexcs.csv").read_bytes(), customer=customer.slug
    )
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_the_page_names_the_command_as_code_not_in_backticks(admin_user):
    client = sign_in(Client(), admin_user)
    page = client.get(URL).content.decode()
    assert "<code>paydesk import-payments</code>" in page and "`paydesk" not in page
    rates = client.get("/backoffice/fx/exchangerate/import/").content.decode()
    assert "<code>paydesk import-rates URL</code>" in rates
