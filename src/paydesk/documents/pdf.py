"""One A4 page (more when the lines run over) drawn with fpdf2 for a receipt, an invoice or a
credit note, in Noto Sans shipped as PyPI packages (OFL): Latin, Greek and Cyrillic in Noto
Sans; Devanagari (shaped by HarfBuzz) and Chinese, Japanese and Korean in fallback fonts added
only when the text needs them (the CJK collection is large to load).
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import tostring

import fontpkg_noto_sans
import fontpkg_noto_sans_devanagari
import noto_cjk_sans_otc
from defusedxml.ElementTree import fromstring
from fontTools import version as fonttools_version
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import ResourceAccessPolicy, TextMode, XPos, YPos
from fpdf.image_parsing import preload_image
from fpdf.svg import SVGLimits

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SANS = "Noto"
SHAPED_SANS = "NotoShaped"
DEVANAGARI = "NotoDevanagari"
CJK = "NotoCJK"
_DEVANAGARI_TEXT = re.compile(r"[\u0900-\u097F\uA8E0-\uA8FF]")
_CJK_TEXT = re.compile(
    r"[\u1100-\u11FF\u2E80-\u2FDF\u3000-\u30FF\u3130-\u318F\u31F0-\u31FF\u3400-\u4DBF"
    r"\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF]"
)
INK = (33, 37, 41)
MUTED = (90, 98, 106)
RULE = (206, 212, 218)
WIDTH = 180  # A4 less 15 mm margins


# Tables a static, unshaped Latin/Greek/Cyrillic font does without: the variable font's axes
# and deltas (the default instance, Regular, is what the outlines are) and the layout tables
# (fpdf2 reads them only when shaping). Subsetting them on every document cost ~0.5 s of 0.7 s.
_TRIMMED_TABLES = ("gvar", "fvar", "avar", "cvar", "HVAR", "MVAR", "STAT", "GSUB", "GPOS", "GDEF")


def _static_instance(source: Path) -> Path:
    """The font's default instance without its variation and layout tables, made once per
    machine (a temporary file named after the source and fontTools' version, written whole
    before it is renamed into place, so concurrent workers never read half of one)."""
    stat = source.stat()
    folder = Path(tempfile.gettempdir()) / "paydesk-fonts"
    target = folder / f"{source.stem}-{stat.st_size}-{fonttools_version}-static.ttf"
    if not target.exists():
        folder.mkdir(exist_ok=True)
        font = TTFont(str(source))
        for tag in _TRIMMED_TABLES:
            if tag in font:
                del font[tag]
        partial = folder / f"{target.name}.{os.getpid()}.part"
        font.save(str(partial))
        os.replace(partial, target)
    return target


@cache
def font_paths() -> dict[str, Path]:
    sans = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
    return {
        SANS: _static_instance(sans),
        SHAPED_SANS: sans,  # with its layout tables: HarfBuzz shapes it beside Devanagari
        DEVANAGARI: fontpkg_noto_sans_devanagari.ROOT
        / "files"
        / "NotoSansDevanagari[wdth,wght].ttf",
        CJK: Path(str(noto_cjk_sans_otc.FONT_PATH)),
    }


@dataclass
class Party:
    heading: str
    name: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    """What a document prints, already formatted (amounts with their currency, dates)."""

    title: str
    number: str
    brand: str
    seller: Party
    buyer: Party
    facts: list[tuple[str, str]]  # label, value (date, method, references …)
    columns: list[str]  # table heading; the first column is the description
    rows: list[list[str]]
    totals: list[tuple[str, str]]  # the last one is printed bold
    notes: list[str] = field(default_factory=list)
    subject: str = ""
    created: datetime | None = None
    logo: bytes | None = None  # a PNG, or a checked SVG, drawn in place of the brand name

    def all_text(self) -> str:
        parts = [self.title, self.number, self.brand, self.seller.name, self.buyer.name]
        parts += self.seller.lines + self.buyer.lines + self.notes + self.columns
        parts += [v for pair in self.facts + self.totals for v in pair]
        parts += [cell for row in self.rows for cell in row]
        return "\n".join(parts)


def render(sheet: Sheet) -> bytes:
    """The sheet as PDF bytes."""
    pdf = _new_pdf(sheet)
    pdf.set_text_color(*INK)
    _font(pdf, 18, bold=True)
    if sheet.logo and _logo(pdf, sheet.logo, sheet.brand):
        pdf.set_xy(15 + WIDTH / 2, 15)
    else:
        pdf.cell(WIDTH / 2, 9, sheet.brand, new_x=XPos.RIGHT, new_y=YPos.TOP)
    _font(pdf, 16, bold=True)
    pdf.cell(WIDTH / 2, 9, sheet.title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _font(pdf, 10)
    pdf.cell(WIDTH, 6, sheet.number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _parties(pdf, sheet.seller, sheet.buyer)
    pdf.ln(4)
    for label, value in sheet.facts:
        pdf.set_text_color(*MUTED)
        pdf.cell(45, 6, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_text_color(*INK)
        pdf.multi_cell(WIDTH - 45, 6, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _table(pdf, sheet)
    for note in sheet.notes:
        pdf.ln(2)
        _font(pdf, 9)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(WIDTH, 5, note, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


LOGO_HEIGHT = 12
LOGO_MAX_WIDTH = WIDTH / 2 - 5
# An SVG logo is drawn with nothing outside itself (no file, no address: brand.py already
# refuses such a file at upload) and within complexity limits well below fpdf2's defaults.
LOGO_SVG_LIMITS = SVGLimits(max_use_depth=8, max_resolved_elements=20_000)


def _logo(pdf: FPDF, logo: bytes, brand: str) -> bool:
    """Draw the logo at the top left, 12 mm high (narrower when it would be wider than the
    left half): a PNG as a raster image, an SVG as vector paths, its text in the document's
    own fonts (_svg_text_in_document_fonts). A logo fpdf2 or Pillow cannot draw (an SVG
    without a size or viewBox, over the limits, reaching outside itself, with text that needs
    shaping; a broken PNG) leaves nothing on the page: False, and the brand name is printed
    instead. A PNG fails, if at all, when it is read, before anything is drawn; an SVG can fail
    half-way through drawing, so it is drawn on a scratch page first."""
    try:
        if not logo.startswith(PNG_SIGNATURE) and b"text" in logo:
            logo = _svg_text_in_document_fonts(pdf, logo)
        box = _logo_box(pdf, logo, brand)
    except Exception as exc:  # whatever the libraries raise: nothing is on the page yet
        log.warning("documents: the brand's logo cannot be drawn (%r); printing the name", exc)
        return False
    if box is None:
        return False
    _logo_draw(pdf, logo, brand, *box)
    return True


def _logo_box(pdf: FPDF, logo: bytes, brand: str) -> tuple[float, float] | None:
    """(width, height) in mm the logo is drawn at (an SVG after drawing it so on a scratch
    page); None when it has no size. A PNG is read into the document's own image cache, where
    drawing it finds it."""
    svg = not logo.startswith(PNG_SIGNATURE)
    scratch = FPDF(format="A4", unit="mm") if svg else None
    if scratch is not None:
        # The document's fonts, as loaded (loading the CJK collection again would cost half a
        # second): the scratch page only ever draws the glyphs the page itself will.
        scratch.fonts.update(pdf.fonts)
    _name, _data, info = preload_image(
        (scratch or pdf).image_cache, _logo_source(logo),
        resource_access_policy=ResourceAccessPolicy.NONE, svg_limits=LOGO_SVG_LIMITS,
    )  # fmt: skip
    width, height = info.width, info.height  # points or pixels: only their ratio counts
    if width <= 0 or height <= 0:
        return None
    w = min(LOGO_HEIGHT * width / height, LOGO_MAX_WIDTH)
    h = w * height / width
    if scratch is not None:
        scratch.add_page()
        _logo_draw(scratch, logo, brand, w, h)
    return w, h


SVG_NS = "{http://www.w3.org/2000/svg}"
_SVG_TEXT = (f"{SVG_NS}text", f"{SVG_NS}tspan")


def _svg_text_in_document_fonts(pdf: FPDF, svg: bytes) -> bytes:
    """A checked SVG (provider.brand.svg_for_drawing) whose `<text>` and `<tspan>` are drawn
    in the document's embedded Noto fonts rather than fpdf2's core fonts (Latin-1 only): each
    gets an inline style naming the document's font family (fpdf2 resolves a family it has
    registered before its core fonts and their aliases; an inline style outranks inherited and
    attribute values) at its Regular weight and upright, as the page's own text is drawn.
    Text with Chinese, Japanese or Korean letters is drawn in the CJK font (added to the
    document if its other text did not need it). fpdf2 draws SVG text unshaped, one font per
    run and with no fallback font, so Devanagari, which needs HarfBuzz's shaping, is refused
    (ValueError: the name is printed instead, shaped); a letter no Noto font here covers
    prints as an empty box, as it would in the page's own text."""
    root = fromstring(svg, forbid_dtd=True)
    for text in root.iter(f"{SVG_NS}text"):
        letters = "".join(text.itertext())
        if _DEVANAGARI_TEXT.search(letters):
            raise ValueError("an SVG logo's Devanagari text would be drawn unshaped")
        family = SANS
        if _CJK_TEXT.search(letters):
            family = CJK
            if CJK.lower() not in pdf.fonts:
                pdf.add_font(CJK, fname=font_paths()[CJK])
        for element in text.iter():
            if element.tag in _SVG_TEXT:
                style = element.get("style", "").rstrip().rstrip(";")
                ours = f"font-family: {family}; font-weight: normal; font-style: normal"
                element.set("style", f"{style}; {ours}" if style else ours)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _logo_source(logo: bytes) -> bytes | io.BytesIO:
    return io.BytesIO(logo) if logo.startswith(PNG_SIGNATURE) else logo


def _logo_draw(pdf: FPDF, logo: bytes, brand: str, w: float, h: float) -> None:
    pdf.svg_limits = LOGO_SVG_LIMITS
    pdf.image(
        _logo_source(logo), x=15, y=15, w=w, h=h, alt_text=brand,
        resource_access_policy=ResourceAccessPolicy.NONE,
    )  # fmt: skip


def _new_pdf(sheet: Sheet) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    paths = font_paths()
    # The fonts' default instance (Regular): making a Bold instance of a variable font costs
    # seconds, so emphasis is drawn (`_font(bold=True)` strokes the glyphs).
    text = sheet.all_text()
    shaped = bool(_DEVANAGARI_TEXT.search(text))
    pdf.add_font(SANS, fname=paths[SHAPED_SANS if shaped else SANS])
    fallbacks = []
    if shaped:
        pdf.add_font(DEVANAGARI, fname=paths[DEVANAGARI])
        fallbacks.append(DEVANAGARI)
        pdf.set_text_shaping(True)
    if _CJK_TEXT.search(text):
        pdf.add_font(CJK, fname=paths[CJK])
        fallbacks.append(CJK)
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    pdf.set_title(f"{sheet.title} {sheet.number}")
    pdf.set_author(sheet.seller.name)
    pdf.set_subject(sheet.subject or sheet.title)
    pdf.set_creator("Paydesk")
    if sheet.created is not None:
        pdf.set_creation_date(sheet.created)
    pdf.set_lang("en")
    pdf.add_page()
    return pdf


def _font(pdf: FPDF, size: float, *, bold: bool = False) -> None:
    pdf.set_font(SANS, "", size)
    pdf.text_mode = TextMode.FILL_STROKE if bold else TextMode.FILL
    pdf.set_line_width(0.12 if bold else 0.2)
    pdf.set_draw_color(*(INK if bold else RULE))


def _parties(pdf: FPDF, left: Party, right: Party) -> None:
    top = pdf.get_y()
    bottoms = []
    for x, party in ((15, left), (15 + WIDTH / 2, right)):
        pdf.set_xy(x, top)
        _font(pdf, 8)
        pdf.set_text_color(*MUTED)
        pdf.cell(WIDTH / 2 - 4, 5, party.heading.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        _font(pdf, 11, bold=True)
        pdf.multi_cell(WIDTH / 2 - 4, 6, party.name, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        _font(pdf, 10)
        for line in party.lines:
            pdf.multi_cell(WIDTH / 2 - 4, 5, line, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottoms.append(pdf.get_y())
    pdf.set_xy(15, max(bottoms))


def _table(pdf: FPDF, sheet: Sheet) -> None:
    amounts = len(sheet.columns) - 1
    first = WIDTH - 32 * amounts
    widths = [first] + [32] * amounts
    pdf.set_draw_color(*RULE)
    _font(pdf, 9, bold=True)
    for index, heading in enumerate(sheet.columns):
        align = "L" if index == 0 else "R"
        pdf.cell(widths[index], 7, heading, border="B", align=align)
    pdf.ln(7)
    _font(pdf, 10)
    for row in sheet.rows:
        top = pdf.get_y()
        pdf.multi_cell(widths[0], 6, row[0], align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        height = max(pdf.get_y() - top, 6)
        pdf.set_xy(15 + widths[0], top)
        for index, cell in enumerate(row[1:], start=1):
            pdf.cell(widths[index], 6, cell, align="R")
        pdf.set_xy(15, top + height + 1)
    pdf.line(15, pdf.get_y(), 15 + WIDTH, pdf.get_y())
    pdf.ln(2)
    for index, (label, value) in enumerate(sheet.totals):
        last = index == len(sheet.totals) - 1
        _font(pdf, 11 if last else 10, bold=last)
        pdf.cell(WIDTH - 50, 7, label, align="R")
        pdf.cell(50, 7, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
