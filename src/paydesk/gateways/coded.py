"""A gateway's code in words (pure: no model): the one rule each gateway's disputes module
(stripe/, paypal/, paystack/, razorpay/ `disputes.py`) words its reasons and statuses by.

A code the gateway's table lists reads as its words; one it does not (a value the gateway adds
later) reads as itself, its hyphens and underscores as spaces, lower case when the gateway
writes its codes in capitals. Paydesk keeps some statuses with a detail beside them, "resolved
(declined)", "open (fraud)": `code_and_detail` parts them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WITH_DETAIL = re.compile(r"(?P<code>[^()]+) \((?P<detail>[^()]+)\)")


def code_words(table: Mapping[str, str], code: str, *, lower: bool = False) -> str:
    """`code` in `table`'s words, or as itself ('' for none)."""
    words = table.get(code)
    if words is not None:
        return words
    itself = code.replace("-", " ").replace("_", " ")
    return itself.lower() if lower else itself


def code_and_detail(stored: str) -> tuple[str, str | None]:
    """ "resolved (declined)" → ("resolved", "declined"); "open" → ("open", None)."""
    found = _WITH_DETAIL.fullmatch(stored)
    return (stored, None) if found is None else (found["code"], found["detail"])
