"""The provider's brand (issue 17): a colour white text fails on is refused, an SVG with a script
or a handler is refused, a PNG or a clean SVG is served with a policy that runs nothing, and the
logo, colour, support contacts and legal footer reach the portal's pages and the emails."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from paydesk.accounts.models import Contact
from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import email_content, notify_payment_received
from paydesk.provider.brand import BrandInvalid, brand_update, colour_clean, contrast_with_white
from paydesk.provider.models import Brand
from tests.provider.conftest import BRAND
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
CLEAN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<title>Acme</title><rect width="10" height="10" fill="#123456"/></svg>'
)
HOSTILE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "foreign": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>'
    ),
    "link": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<use xlink:href="https://evil.example/x.svg#a"/></svg>'
    ),
    "javascript": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>'
    ),
    "entity": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    ),
}


def test_contrast_is_wcag_and_aa_decides():
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#767676"), 2) == 4.54  # the lightest grey that passes
    assert colour_clean("#767676") == "#767676"
    assert colour_clean("1F4F8F") == "#1f4f8f"
    with pytest.raises(BrandInvalid, match="contrast of 4.48:1"):
        colour_clean("#777777")
    with pytest.raises(BrandInvalid, match="six hexadecimal digits"):
        colour_clean("blue")


def test_a_pale_colour_is_refused_next_to_the_field_and_nothing_saved(administrator):
    answer = administrator.post(BRAND, {"primary_colour": "#ffcc00", "name": "Acme"})
    assert answer.status_code == 200
    assert "WCAG AA needs at least 4.5:1" in answer.content.decode()
    assert not Brand.objects.exists()


@pytest.mark.parametrize("kind", sorted(HOSTILE_SVGS))
def test_an_svg_that_could_run_or_fetch_is_refused(administrator, kind):
    upload = SimpleUploadedFile("logo.svg", HOSTILE_SVGS[kind], content_type="image/svg+xml")
    answer = administrator.post(BRAND, {"name": "Acme", "logo": upload})
    assert answer.status_code == 200
    assert "errorlist" in answer.content.decode()
    assert not Brand.objects.filter(logo_type__gt="").exists()


def test_a_clean_svg_is_served_with_a_policy_that_runs_nothing(administrator):
    upload = SimpleUploadedFile("logo.svg", CLEAN_SVG, content_type="image/svg+xml")
    assert administrator.post(BRAND, {"name": "Acme", "logo": upload}).status_code == 302
    brand = Brand.objects.get()
    served = Client().get(f"/brand/logo/{brand.logo_version}")
    assert served.status_code == 200 and served.content == CLEAN_SVG
    assert served["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in served["Content-Security-Policy"]
    assert served["X-Content-Type-Options"] == "nosniff"


def test_the_brand_reaches_the_portal_and_the_emails(admin_user, portal_user, customer):
    brand_update(
        actor=admin_user,
        name="Acme Voice",
        primary_colour="#0b3d2e",
        support_email="help@acme.example",
        support_phone="+44 20 7946 0000",
        legal_footer="Acme Voice Ltd, company 01234567",
        logo=PNG,
        logo_name="logo.png",
    )
    version = Brand.objects.get().logo_version
    page = sign_in(Client(), portal_user).get("/").content.decode()
    assert f'src="/brand/logo/{version}"' in page and 'alt="Acme Voice"' in page
    assert 'href="/brand/brand-0b3d2e.css"' in page
    assert "help@acme.example" in page and "Acme Voice Ltd, company 01234567" in page
    assert Client().get("/brand/brand-0b3d2e.css").content == b":root { --brand: #0b3d2e; }\n"
    assert Client().get("/brand/brand-ffffff.css").status_code == 404  # not the brand's colour
    assert Client().get(f"/brand/logo/{version - 1}").status_code == 404  # an older logo

    Contact.objects.create(customer=customer, email="billing@example.com")
    notify_payment_received(
        payment=payment_create(customer=customer, total="5", description="Top-up")
    )
    _subject, body_text, body_html = email_content(OutboundEmail.objects.get())  # as sent
    assert f"/brand/logo/{version}" in body_html and "#0b3d2e" in body_html
    assert "Acme Voice Ltd, company 01234567" in body_text
    assert "help@acme.example" in body_text and "Acme Voice" in body_text


def test_brand_changes_are_audited_and_administrators_only(admin_user, finance_user):
    with pytest.raises(Exception, match="Only an Administrator"):
        brand_update(actor=finance_user, name="Finance's brand")
    brand_update(actor=admin_user, name="Acme", logo=PNG)
    entry = AuditEntry.objects.get(action="brand.update")
    assert entry.after["name"] == "Acme" and entry.after["logo"].startswith("image/png sha256:")
