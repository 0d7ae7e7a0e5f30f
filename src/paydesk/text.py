"""Free text typed by people — descriptions, comments, reasons, names, notes, addresses, labels:
the one rule on control characters (docs/architecture.md, "Input").

Such text ends up in CSV downloads, PDFs and receipts, emails and the audit log, where an escape
sequence, a NUL or a stray line break does harm. Refused: C0 controls (U+0000–U+001F), DEL
(U+007F) and C1 controls (U+0080–U+009F); a multi-line field (an address, a legal footer) keeps
TAB, LF and CR. Everything else is allowed: accents, CJK, emoji, right-to-left text. The rule
refuses input; it never rewrites what is stored.
"""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

CODE = "control_characters"
SINGLE_LINE = r"[\x00-\x1f\x7f-\x9f]"
MULTI_LINE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
SINGLE_LINE_MESSAGE = _("Write this on one line, without tabs or other control characters.")
MULTI_LINE_MESSAGE = _("Remove the control characters (line breaks and tabs are fine here).")

# Model fields, form fields and the API's schemas (paydesk/api/schemas.py) all use these.
single_line = RegexValidator(SINGLE_LINE, SINGLE_LINE_MESSAGE, CODE, inverse_match=True)
multi_line = RegexValidator(MULTI_LINE, MULTI_LINE_MESSAGE, CODE, inverse_match=True)

_SINGLE = re.compile(SINGLE_LINE)
_MULTI = re.compile(MULTI_LINE)


def control_characters_refusal(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is refused (the field message), or None when it is plain text."""
    if (_MULTI if multiline else _SINGLE).search(value) is None:
        return None
    return str(MULTI_LINE_MESSAGE if multiline else SINGLE_LINE_MESSAGE)
