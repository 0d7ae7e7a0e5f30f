"""The provider's brand: read for every page and email, changed by Administrators (audited).

A primary colour is refused when white text on it fails WCAG 2.x AA for normal text (contrast
ratio under 4.5:1): the portal's header writes white on it, and links use it on white paper. A
logo is a PNG or an SVG; an SVG is parsed with defusedxml and refused when it holds anything
that could run or fetch: a script, an event handler, a foreignObject, a style sheet, a link
outside the file. Refused, not rewritten: the administrator sees what was wrong.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from paydesk.accounts.models import StaffRole
from paydesk.audit.services import audited_update
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.fastsql import first_row
from paydesk.provider.models import Brand, BrandLogo, LogoType

LOGO_MAX_BYTES = 256 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SVG_ELEMENTS = frozenset(
    "svg g path rect circle ellipse line polyline polygon text tspan title desc defs "
    "linearGradient radialGradient stop clipPath mask symbol use".split()
)
SVG_BAD_VALUE = re.compile(r"javascript:|url\s*\(\s*['\"]?(?!#)|@import|expression\s*\(", re.I)
COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
DEFAULT_COLOUR = "#1f4f8f"  # paydesk.css --brand
BRAND_FIELDS = ("name", "primary_colour", "support_email", "support_phone", "legal_footer")


class BrandInvalid(PaydeskError):
    code = "brand_invalid"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(colour: str) -> float:
    """WCAG 2.x contrast ratio of white text on `colour` (#RRGGBB)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)
    return 1.05 / (luminance + 0.05)


def colour_clean(text: str) -> str:
    """'#1F4F8F' or '1f4f8f' → '#1f4f8f'; '' stays ''; BrandInvalid when it is not a colour or
    white text on it fails WCAG AA (4.5:1)."""
    text = text.strip()
    if not text:
        return ""
    match = COLOUR.match(text)
    if not match:
        raise BrandInvalid(
            "Enter the colour as six hexadecimal digits, for example #1f4f8f.",
            field="primary_colour",
        )
    colour = f"#{match.group(1).lower()}"
    ratio = contrast_with_white(colour)
    if ratio < 4.5:
        raise BrandInvalid(
            f"White text on {colour} has a contrast of {ratio:.2f}:1; WCAG AA needs at least "
            "4.5:1. Choose a darker colour.",
            field="primary_colour",
        )
    return colour


def _svg_checked(data: bytes) -> tuple[Any, str]:
    """(the parsed root, "") of an acceptable SVG, or (None, why it is refused)."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        return (
            None,
            "The SVG file could not be read (not well-formed XML, or it declares entities).",
        )
    if root.tag != f"{SVG_NS}svg":
        return None, "The file is not an SVG image."
    for element in root.iter():
        tag = str(element.tag)
        name = tag.removeprefix(SVG_NS)
        if not tag.startswith(SVG_NS) or name not in SVG_ELEMENTS:
            return (
                None,
                f"The SVG contains a <{name.rpartition('}')[2]}> element, which a logo may not.",
            )
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2].lower()
            if local.startswith("on"):
                return None, f"The SVG has an event handler ({local}), which a logo may not."
            if local == "href" and not value.startswith("#"):
                return None, "The SVG links outside itself, which a logo may not."
            if SVG_BAD_VALUE.search(value):
                return None, "The SVG refers to something outside itself, which a logo may not."
        if element.text and name != "text" and SVG_BAD_VALUE.search(element.text):
            return None, "The SVG refers to something outside itself, which a logo may not."
    return root, ""


def _svg_refusal(data: bytes) -> str:
    return _svg_checked(data)[1]


def svg_for_drawing(data: bytes) -> bytes | None:
    """An SVG logo as a renderer (the PDFs) receives it: checked again as at upload, then its
    checked tree written back (an XML declaration first, then the elements without comments,
    and without `title` and `desc`, which are not drawn: the PDF's alt text is the brand's
    name), so what is drawn is exactly what was checked; None when the check refuses it (a row
    not written by brand_update)."""
    root, refusal = _svg_checked(data)
    if refusal:
        return None
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{SVG_NS}title", f"{SVG_NS}desc"):
                parent.remove(child)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def logo_clean(data: bytes, filename: str = "") -> tuple[bytes, str]:
    """(bytes, content type) of an acceptable logo; BrandInvalid saying why one is refused."""
    if not data:
        raise BrandInvalid("The logo file is empty.", field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise BrandInvalid(
            f"The logo is larger than {LOGO_MAX_BYTES // 1024} KB; use a smaller file.",
            field="logo",
        )
    if data.startswith(PNG_SIGNATURE):
        return data, LogoType.PNG
    head = data.lstrip()[:5].lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) or filename.lower().endswith(".svg"):
        refusal = _svg_refusal(data)
        if refusal:
            raise BrandInvalid(refusal, field="logo")
        return data, LogoType.SVG
    raise BrandInvalid("The logo must be a PNG or an SVG image.", field="logo")


@dataclass(frozen=True)
class BrandView:
    """What pages and emails show."""

    name: str
    primary_colour: str
    support_email: str
    support_phone: str
    legal_footer: str
    logo_version: int  # 0: no logo
    logo_sha256: str = ""  # its BrandLogo row; "" without a logo (or a row not written here)

    @property
    def has_logo(self) -> bool:
        return self.logo_version > 0


BRAND_VIEW_COLUMNS = (
    "name",
    "primary_colour",
    "support_email",
    "support_phone",
    "legal_footer",
    "logo_version",
    "logo_type",
    "logo_sha256",
)


def brand_current() -> BrandView:
    # Every page and email asks: one cached statement, without the logo's bytes.
    row = first_row(Brand, "id = %s", [1], only=BRAND_VIEW_COLUMNS)
    default_name = settings.PAYDESK_PROVIDER_NAME
    if row is None:
        return BrandView(default_name, "", "", "", "", 0)
    return BrandView(
        name=row.name or default_name,
        primary_colour=row.primary_colour,
        support_email=row.support_email,
        support_phone=row.support_phone,
        legal_footer=row.legal_footer,
        logo_version=row.logo_version if row.logo_type else 0,
        logo_sha256=row.logo_sha256 if row.logo_type else "",
    )


def _snapshot(brand: Brand) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(brand, name) for name in BRAND_FIELDS}
    logo = bytes(brand.logo or b"")
    values["logo"] = (
        f"{brand.logo_type} sha256:{hashlib.sha256(logo).hexdigest()[:16]}" if logo else ""
    )
    return values


def brand_update(
    *,
    actor: Any,
    logo: bytes | None = None,
    logo_name: str = "",
    remove_logo: bool = False,
    **changes: Any,
) -> Brand:
    """Change the brand (Administrators only), audited with before and after."""
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change the provider's brand.")
    unknown = set(changes) - set(BRAND_FIELDS)
    if unknown:
        raise PaydeskError(f"Unknown brand settings: {sorted(unknown)}")
    if "primary_colour" in changes:
        changes["primary_colour"] = colour_clean(str(changes["primary_colour"] or ""))
    with transaction.atomic():
        brand, _created = Brand.objects.get_or_create(pk=1)
        if logo is not None:
            data, content_type = logo_clean(logo, logo_name)
            digest = logo_kept(data, content_type)
            changes.update(
                logo=data,
                logo_type=content_type,
                logo_version=brand.logo_version + 1,
                logo_sha256=digest,
            )
        elif remove_logo:
            changes.update(
                logo=b"", logo_type="", logo_version=brand.logo_version + 1, logo_sha256=""
            )
        return audited_update(
            obj=brand,
            changes={**changes, "updated_at": timezone.now()},
            snapshot=_snapshot,
            action="brand.update",
            actor=actor,
        )


def logo_kept(data: bytes, content_type: str) -> str:
    """The sha256 (hex) of a checked logo, its BrandLogo row written if it is new: one row per
    distinct logo, however often it is uploaded, kept for the documents issued with it."""
    digest = hashlib.sha256(data).hexdigest()
    BrandLogo.objects.get_or_create(
        sha256=digest, defaults={"logo_type": content_type, "data": data}
    )
    return digest


def brand_email_context() -> dict[str, str]:
    """The brand for an email: names, colour, and the logo's absolute URL (public_url)."""
    current = brand_current()
    logo_url = ""
    if current.has_logo:
        path = reverse("brand:logo", args=[current.logo_version])
        logo_url = f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}{path}"
    return {
        "provider_name": current.name,
        "brand_colour": current.primary_colour or DEFAULT_COLOUR,
        "brand_logo_url": logo_url,
        "support_email": current.support_email,
        "support_phone": current.support_phone,
        "legal_footer": current.legal_footer,
    }
