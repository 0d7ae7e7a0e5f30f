"""What a person is told about an amount field they left empty or filled wrongly (to_decimal's
messages reach the portal's forms, the API and the CLI as they are)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.errors import InvalidAmount
from paydesk.money import to_decimal


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_amount_asks_for_one(empty):
    with pytest.raises(InvalidAmount) as refused:
        to_decimal(empty, field="threshold")
    assert refused.value.message == "Enter an amount, like 1234.56."
    assert refused.value.field == "threshold"


def test_junk_still_names_what_was_typed():
    with pytest.raises(InvalidAmount) as refused:
        to_decimal("12,50")
    assert refused.value.message == "'12,50' is not a number like 1234.56."
    assert to_decimal(" 12.50 ") == Decimal("12.50")
