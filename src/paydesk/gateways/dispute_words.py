"""A dispute's reason as it was stored, shown in its gateway's words (display only: no model).

Before a gateway's reasons had words (stripe/disputes.py, paypal/disputes.py,
paystack/disputes.py), Paydesk stored the gateway's code: a dispute's reason and its chargeback
row's description read "fraudulent", "product not received", "UNAUTHORISED (PayPal case …)". A
completed chargeback row is never edited, so such a reason is worded where it is shown. A reason
stored in words, or one no gateway lists, shows as it was stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from paydesk.gateways.registry import gateway_for_or_none, gateway_methods

# A bare code as Paydesk kept it, with what followed it (PayPal's "(PayPal case PP-D-…)").
_STORED_CODE = re.compile(r"(?P<code>[A-Za-z][A-Za-z_ -]*?)(?P<after> \([^()]*\))?")


def _key(code: str) -> str:
    """One spelling for every form a code was stored in: "product_not_received",
    "product not received", "MERCHANDISE OR SERVICE NOT RECEIVED"."""
    return re.sub(r"[ _-]+", "_", code.strip()).lower()


# Each gateway's reasons by `_key`, made once per table (a list words a reason on every row).
_KEYED: dict[int, tuple[Mapping[str, str], dict[str, str]]] = {}


def _keyed(reasons: Mapping[str, str]) -> dict[str, str]:
    kept = _KEYED.get(id(reasons))
    if kept is None or kept[0] is not reasons:
        kept = _KEYED[id(reasons)] = (reasons, {_key(c): said for c, said in reasons.items()})
    return kept[1]


def stored_reason_words(stored: str, reasons: Mapping[str, str]) -> str:
    """`stored` in words when it is one of `reasons`' codes in any form it was stored in;
    otherwise as stored."""
    found = _STORED_CODE.fullmatch(stored)
    if found is None:
        return stored
    words = _keyed(reasons).get(_key(found["code"]))
    if words is None:
        return stored
    return words + (found["after"] or "")


def dispute_reason_words(method: str, stored: str) -> str:
    """A dispute's stored reason, for the gateway serving `method`, in that gateway's words."""
    reasons = getattr(gateway_for_or_none(method), "dispute_reasons", None)
    return stored_reason_words(stored, reasons) if reasons else stored


def chargeback_description_words(method: str, description: str) -> str:
    """A chargeback row's description ("Chargeback of PD-…: fraudulent") with its reason in
    the gateway's words; a description without a reason as it is."""
    lead, colon, reason = description.partition(": ")
    if not colon:
        return description
    return f"{lead}: {dispute_reason_words(method, reason)}"


# A code as a pattern of every spelling `_key` reads as it: its words joined by spaces,
# underscores or hyphens, in any case (the pattern is matched case-insensitively).
_CODE_WORD = re.compile(r"[a-z]+")


def _code_pattern(code: str) -> str | None:
    parts = _key(code).split("_")
    if not all(_CODE_WORD.fullmatch(part) for part in parts):
        return None  # never read as a code by `_STORED_CODE`, so never worded
    return "[ _-]+".join(parts)


def chargeback_stored_patterns(text: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Where a chargeback row whose description shows `text` in its reason's words may have
    been stored with the gateway's code instead: (the methods served by one gateway, a pattern
    of the end of the stored description — ": <code>" in any spelling, with what followed it),
    for each gateway one of whose reasons' words contain `text` (any case). Empty for nearly
    every search: then nothing but the stored text is searched. The patterns are plain
    regular expressions both SQLite (Python's `re`) and PostgreSQL (`~*`) read alike."""
    wanted = text.casefold()
    if not wanted:
        return ()
    by_gateway: dict[int, tuple[list[str], list[str]]] = {}
    for method in gateway_methods():
        reasons = getattr(gateway_for_or_none(method), "dispute_reasons", None)
        if not reasons:
            continue
        if id(reasons) not in by_gateway:  # a table two methods share is read once
            found = (_code_pattern(c) for c, said in reasons.items() if wanted in said.casefold())
            by_gateway[id(reasons)] = ([], sorted({p for p in found if p is not None}))
        by_gateway[id(reasons)][0].append(method)
    return tuple(
        (tuple(methods), rf": (?:{'|'.join(codes)})(?: \([^()]*\))?$")
        for methods, codes in by_gateway.values()
        if codes
    )
