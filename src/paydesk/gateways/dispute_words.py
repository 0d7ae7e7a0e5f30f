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

from paydesk.gateways.registry import gateway_for_or_none

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
