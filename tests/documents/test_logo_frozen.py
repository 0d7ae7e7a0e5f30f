"""An issued invoice or credit note keeps the logo (and the trading name) it was issued with:
re-downloaded after a rebrand it draws what was issued, a new one the new logo; each distinct
logo is kept once (provider.models.BrandLogo), whatever the number of documents."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from PIL import Image
from pypdf import PdfReader

from paydesk.documents.models import Document, DocumentKind
from paydesk.documents.render import document_pdf, receipt_pdf
from paydesk.ledger.refunds import refund_create, refund_settle
from paydesk.provider.brand import brand_update
from paydesk.provider.models import Brand, BrandLogo, LogoType
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.documents.test_logo import LOGO_SVG, drawn_paths

pytestmark = pytest.mark.django_db

RED, BLUE = (200, 30, 30), (30, 30, 200)


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def drawn_images(pdf: bytes) -> list[tuple[int, int, int]]:
    """The colour of each image the first page draws, as pypdf extracts it."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return [image.image.convert("RGB").getpixel((0, 0)) for image in page.images]


def text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def invoice_of(payment) -> Document:
    return Document.objects.get(payment=payment, kind=DocumentKind.INVOICE)


def test_a_reissued_download_draws_the_logo_and_name_it_was_issued_with(admin_user):
    invoicing_on()
    customer = billed_customer()
    brand_update(actor=admin_user, name="Old Telecom", logo=png(RED), logo_name="old.png")
    old = invoice_of(topup(customer, total="10.00"))
    assert drawn_images(document_pdf(old)) == [RED]

    brand_update(actor=admin_user, name="New Telecom", logo=png(BLUE), logo_name="new.png")
    again = document_pdf(Document.objects.get(pk=old.pk))
    assert drawn_images(again) == [RED]  # what was issued, not the brand's logo now
    assert old.data["seller"]["name"] == "Old Telecom"

    new = invoice_of(topup(customer, total="20.00"))
    assert drawn_images(document_pdf(new)) == [BLUE]
    # The receipt is drawn from the brand as it is now.
    assert drawn_images(receipt_pdf(old.payment)) == [BLUE]
    assert new.data["seller"]["logo"] == hashlib.sha256(png(BLUE)).hexdigest()
    assert old.data["seller"]["logo"] == hashlib.sha256(png(RED)).hexdigest()


def test_each_distinct_logo_is_kept_once(admin_user):
    invoicing_on()
    customer = billed_customer()
    for logo in (png(RED), png(BLUE), png(RED), png(RED)):
        brand_update(actor=admin_user, logo=logo, logo_name="logo.png")
        topup(customer, total="10.00")
        topup(customer, total="11.00")
    assert Document.objects.count() == 8
    assert sorted(BrandLogo.objects.values_list("sha256", flat=True)) == sorted(
        hashlib.sha256(logo).hexdigest() for logo in (png(RED), png(BLUE))
    )
    assert Brand.objects.get().logo_sha256 == hashlib.sha256(png(RED)).hexdigest()
    assert bytes(BrandLogo.objects.get(sha256=Brand.objects.get().logo_sha256).data) == png(RED)


def test_an_svg_logo_is_kept_too_and_a_credit_note_draws_its_invoices_logo(admin_user):
    invoicing_on()
    brand_update(actor=admin_user, name="Carrier Brand", logo=LOGO_SVG, logo_name="logo.svg")
    paid = topup(billed_customer(), total="30.00")
    brand_update(actor=admin_user, logo=png(BLUE), logo_name="logo.png")

    assert drawn_paths(document_pdf(invoice_of(paid))) == 1  # the green SVG path
    assert drawn_images(document_pdf(invoice_of(paid))) == []
    refund_settle(
        refund=refund_create(original=paid, total="5.00", reason="Unused"), completed=True
    )
    credit_note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert credit_note.data["seller"]["logo"] == invoice_of(paid).data["seller"]["logo"]
    assert drawn_paths(document_pdf(credit_note)) == 1


def test_an_invoice_issued_without_a_logo_keeps_printing_the_name(admin_user):
    invoicing_on()
    brand_update(actor=admin_user, name="Plain Telecom")
    issued = invoice_of(topup(billed_customer(), total="10.00"))
    assert issued.data["seller"]["logo"] == ""
    brand_update(actor=admin_user, name="Shiny Telecom", logo=png(BLUE), logo_name="logo.png")
    pdf = document_pdf(Document.objects.get(pk=issued.pk))
    assert drawn_images(pdf) == []
    assert "Plain Telecom" in text(pdf)


def test_a_document_without_a_kept_logo_draws_the_current_one(admin_user):
    # As invoices issued before logos were kept: a brand row written around brand_update (by
    # hand, or before the hash column) names no kept logo, so its invoices carry none.
    Brand.objects.create(pk=1, name="Hand Made", logo=png(RED), logo_type=LogoType.PNG,
                         logo_version=1)  # fmt: skip
    invoicing_on()
    issued = invoice_of(topup(billed_customer(), total="10.00"))
    assert "logo" not in issued.data["seller"]
    assert drawn_images(document_pdf(issued)) == [RED]
    brand_update(actor=admin_user, logo=png(BLUE), logo_name="logo.png")
    assert drawn_images(document_pdf(Document.objects.get(pk=issued.pk))) == [BLUE]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_current_logo_and_touches_no_document():
    executor = MigrationExecutor(connection)
    executor.migrate([("provider", "0001_initial")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO provider_brand (id, name, logo, logo_type, logo_version, primary_colour,"
            " support_email, support_phone, legal_footer, updated_at)"
            " VALUES (1, 'Old', %s, 'image/png', 3, '', '', '', '', CURRENT_TIMESTAMP)",
            [png(RED)],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("provider", "0002_brand_logo_versions")])
    digest = hashlib.sha256(png(RED)).hexdigest()
    assert Brand.objects.get().logo_sha256 == digest
    assert [(r.sha256, r.logo_type, bytes(r.data)) for r in BrandLogo.objects.all()] == [
        (digest, LogoType.PNG, png(RED))
    ]
    # Back to the latest: the guards (0003) are installed again for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("provider"))
    with pytest.raises(IntegrityError), transaction.atomic():
        BrandLogo.objects.all().delete()
