"""The brand's logo heads receipts, invoices and credit notes when it is an SVG too (drawn as
vector paths), and an SVG the upload check refuses never reaches the PDF renderer: the
documents check it again and print the brand's name instead; the renderer itself loads nothing
outside the file."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
from pypdf import PdfReader

from paydesk.documents.models import Document
from paydesk.documents.pdf import Party, Sheet, render
from paydesk.documents.provider import provider_logo
from paydesk.documents.render import document_pdf, receipt_pdf
from paydesk.provider.brand import brand_update, svg_for_drawing
from paydesk.provider.models import Brand, LogoType
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.provider.test_brand import HOSTILE_SVGS

pytestmark = pytest.mark.django_db

GREEN = (18, 171, 52)  # #12ab34: nothing else on a document is this colour
LOGO_SVG = (
    b"<!-- exported by a drawing program -->\n"
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 10">'
    b"<title>Carrier Brand</title>"
    b'<path d="M0 0 H40 V10 H0 Z" fill="#12ab34"/></svg>'
)


def first_page(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).pages[0]


def drawn_paths(pdf: bytes) -> int:
    """How many filled paths the first page's content stream paints in the logo's green."""
    content = first_page(pdf).get_contents().get_data().decode("latin-1")
    green = r"0\.0*7\d* 0\.67\d* 0\.20\d* rg"
    return len(re.findall(green + r"[^Q]*?\bf\b", content))


def green_pixels_top_left(pdf: bytes) -> int:
    """Pixels of the logo's green in the page's top-left corner, drawn at 72 dpi."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=1).to_pil().convert("RGB")
    corner = image.crop((0, 0, image.width // 2, image.height // 8))
    pixels = corner.tobytes()
    return sum(
        1
        for i in range(0, len(pixels), 3)
        if all(abs(pixels[i + c] - GREEN[c]) < 12 for c in range(3))
    )


def test_an_svg_logo_is_drawn_on_the_receipt_and_the_invoice(admin_user):
    brand_update(actor=admin_user, name="Carrier Brand", logo=LOGO_SVG, logo_name="logo.svg")
    invoicing_on()
    paid = topup(billed_customer(), total="10.00")
    for pdf in (receipt_pdf(paid), document_pdf(Document.objects.get(payment=paid))):
        assert drawn_paths(pdf) == 1
        # 12 mm high, 48 mm wide at the top left: about 34 x 136 points, nearly all green.
        assert green_pixels_top_left(pdf) > 34 * 136 * 0.8


def test_what_the_renderer_gets_is_the_checked_tree_written_back():
    drawn = svg_for_drawing(LOGO_SVG)
    assert drawn.startswith(b"<?xml ")  # how fpdf2 tells an SVG from a raster image
    assert b"<!--" not in drawn and b"title" not in drawn  # neither is drawn
    assert b'fill="#12ab34"' in drawn and b'd="M0 0 H40 V10 H0 Z"' in drawn


def test_a_png_logo_is_still_an_image(admin_user):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), GREEN).save(buffer, format="PNG")
    brand_update(actor=admin_user, logo=buffer.getvalue(), logo_name="logo.png")
    invoicing_on(enabled=False)
    pdf = receipt_pdf(topup(billed_customer(), total="10.00"))
    xobjects = first_page(pdf)["/Resources"]["/XObject"].values()
    assert [x.get_object()["/Subtype"] for x in xobjects] == ["/Image"]
    assert green_pixels_top_left(pdf) > 34 * 100 * 0.8


@pytest.mark.parametrize("kind", sorted(HOSTILE_SVGS))
def test_an_svg_the_upload_refuses_never_reaches_the_renderer(kind):
    # Written around brand_update (by hand, or before the check existed): the documents
    # check it again.
    Brand.objects.create(pk=1, name="Carrier Brand", logo=HOSTILE_SVGS[kind],
                         logo_type=LogoType.SVG, logo_version=1)  # fmt: skip
    assert svg_for_drawing(HOSTILE_SVGS[kind]) is None
    assert provider_logo() is None
    invoicing_on(enabled=False)
    pdf = receipt_pdf(topup(billed_customer(), total="10.00"))
    assert "Carrier Brand" in first_page(pdf).extract_text()  # the name, in place of a logo


def sheet_with(logo: bytes) -> Sheet:
    party = Party("From", "Seller")
    return Sheet(title="Receipt", number="R-1", brand="Carrier Brand", seller=party,
                 buyer=Party("To", "Buyer"), facts=[], columns=["Item", "Total"], rows=[],
                 totals=[("Total", "1.00")], logo=logo)  # fmt: skip


@pytest.mark.parametrize(
    "svg",
    [
        # Handed straight to the renderer: it loads no file and no address.
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<image href="file:///etc/passwd" width="10" height="10"/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<image href="http://169.254.169.254/latest/meta-data" width="10" height="10"/></svg>',
        # Nothing says how large it is.
        b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 H4 V4 Z"/></svg>',
        # Text that needs shaping, which fpdf2's SVG text does not do (refused before
        # anything is drawn, the path before it included).
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20">'
        '<path d="M0 0 H4 V4 Z"/><text x="0" y="15">नमस्ते टेलीकॉम</text></svg>'.encode(),
        # A PNG that is not one past its signature.
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    ],
)
def test_the_renderer_prints_the_name_when_a_logo_cannot_be_drawn_safely(svg):
    pdf = render(sheet_with(svg))
    assert "Carrier Brand" in first_page(pdf).extract_text()
    assert "/XObject" not in first_page(pdf)["/Resources"]
    assert " re " not in first_page(pdf).get_contents().get_data().decode("latin-1")


def text_logo(words: str) -> bytes:
    # Bold Arial, as a drawing program would write it: drawn in the document's Noto Regular.
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 20">'
        '<g style="font-family: Arial, sans-serif; font-weight: bold">'
        f'<path d="M0 0 H4 V4 Z" fill="#12ab34"/><text x="8" y="15" font-size="12">{words}</text>'
        "</g></svg>"
    ).encode()


def page_fonts(pdf: bytes) -> list[str]:
    fonts = first_page(pdf)["/Resources"]["/Font"].values()
    return sorted(str(font.get_object()["/BaseFont"]) for font in fonts)


@pytest.mark.parametrize("words", ["Łódź Telecom", "Καλημέρα", "Телеком", "東京テレコム"])
def test_text_in_an_svg_logo_is_drawn_in_the_documents_own_fonts(words):
    pdf = render(sheet_with(svg_for_drawing(text_logo(words))))
    # PDFium reads the CJK collection's two-byte codes cleanly (pypdf puts NULs between them).
    drawn = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert drawn.startswith(words)  # the logo's words, where the name would be
    assert "Carrier Brand" not in drawn
    assert drawn_paths(pdf) == 1  # and the rest of the logo
    assert not any("Helvetica" in font for font in page_fonts(pdf))  # no core font at all
    assert all("Noto" in font for font in page_fonts(pdf))


def test_an_invoice_with_a_text_logo_draws_its_words(admin_user):
    brand_update(actor=admin_user, name="Carrier Brand", logo=text_logo("Łódź Telecom"),
                 logo_name="logo.svg")  # fmt: skip
    invoicing_on()
    pdf = document_pdf(Document.objects.get(payment=topup(billed_customer(), total="10.00")))
    assert first_page(pdf).extract_text().startswith("Łódź Telecom")
    assert drawn_paths(pdf) == 1
