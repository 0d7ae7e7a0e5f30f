"""The provider's and the customer's details as documents print them: the one place that reads
them. The trading name and the logo are the provider's brand (provider/brand.py, the back
office's *Brand*); the legal details what the brand lacks, in the invoicing settings."""

from __future__ import annotations

import logging
from typing import Any

from paydesk.accounts.billing import billing_profile_saved
from paydesk.accounts.models import Customer
from paydesk.accounts.taxids import country_names
from paydesk.documents.models import CustomerTaxRule, InvoicingSettings, TaxRule
from paydesk.provider.brand import brand_current, svg_for_drawing
from paydesk.provider.models import Brand, BrandLogo, LogoType

log = logging.getLogger(__name__)


def provider_details() -> dict[str, Any]:
    """Seller: trading name (the brand's, else PAYDESK_PROVIDER_NAME), its logo's sha256 ("" for
    none), legal name, address lines, country, tax id and the standard tax rate (a string,
    percent) from the invoicing settings. A brand row written around brand_update, with a logo
    but no hash, gives no "logo" at all: its documents draw the current logo, as those issued
    before logos were kept do (document_logo)."""
    current = InvoicingSettings.current()
    brand = brand_current()
    name = brand.name
    logo: dict[str, str] = {}
    if brand.logo_sha256 or not brand.has_logo:
        logo["logo"] = brand.logo_sha256
    return {
        "name": name,
        **logo,
        "legal_name": current.legal_name or name,
        "address": [line.strip() for line in current.address.splitlines() if line.strip()],
        "country": current.country.upper(),
        "country_name": country_names().get(current.country.upper(), ""),
        "tax_id": current.tax_id,
        "tax_rate": str(current.tax_rate),
    }


def provider_logo() -> bytes | None:
    """The brand's logo as documents draw it at the top of every page, else None (the header
    then prints the trading name): a PNG as stored; an SVG checked again as at upload and
    written back from the checked tree (provider.brand.svg_for_drawing), so an SVG the check
    refuses never reaches the PDF renderer."""
    row = Brand.objects.filter(pk=1).values_list("logo", "logo_type").first()
    return _drawable(*row) if row is not None else None


def document_logo(seller: dict[str, Any]) -> bytes | None:
    """The logo an issued invoice or credit note is drawn with, as provider_logo gives it: the
    one it was issued with (its seller's "logo", a BrandLogo's sha256; "" when the brand had
    none: the trading name is printed); a document issued before logos were kept (no "logo")
    draws the brand's current one."""
    if "logo" not in seller:
        return provider_logo()
    if not seller["logo"]:
        return None
    row = BrandLogo.objects.filter(sha256=seller["logo"]).values_list("data", "logo_type").first()
    if row is None:
        log.warning("documents: logo %s is not kept; printing the name", seller["logo"][:16])
        return None
    return _drawable(*row)


def _drawable(data: bytes | memoryview, logo_type: str) -> bytes | None:
    if not data:
        return None
    if logo_type == LogoType.PNG:
        return bytes(data)
    if logo_type == LogoType.SVG:
        return svg_for_drawing(bytes(data))
    return None


def customer_details(customer: Customer) -> dict[str, Any]:
    """Buyer: the billing profile (legal name, address, country, tax id), the customer's name
    where the profile says nothing, and the customer's tax rule."""
    profile = billing_profile_saved(customer=customer)
    rule = CustomerTaxRule.objects.filter(customer=customer).values_list("rule", flat=True).first()
    lines: list[str] = []
    country = ""
    tax_id = ""
    legal_name = ""
    postal_code = city = ""
    if profile is not None:
        legal_name = profile.legal_name
        lines = [v for v in (profile.address_line1, profile.address_line2) if v]
        postal_code, city = profile.postal_code, profile.city
        town = " ".join(v for v in (profile.postal_code, profile.city) if v)
        lines += [v for v in (town, profile.region) if v]
        country, tax_id = profile.country.upper(), profile.tax_id
    return {
        "name": legal_name or customer.name,
        "address": lines,
        "line1": profile.address_line1 if profile else "",
        "line2": profile.address_line2 if profile else "",
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "country_name": country_names().get(country, ""),
        "tax_id": tax_id,
        "tax_rule": rule or TaxRule.STANDARD,
    }
