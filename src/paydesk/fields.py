"""Model fields for money. An amount is an exact Decimal in Python and an integer of
ten-thousandths in the database, so storage and every SQL aggregate are exact on SQLite too
(Django's DecimalField is a floating-point REAL there).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from paydesk.money import from_storage_units, to_storage_units


class AmountField(models.BigIntegerField):
    """A signed exact amount with at most 4 decimals, stored as an integer of 1/10,000."""

    description = "Exact amount (integer of ten-thousandths in the database)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return from_storage_units(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        from paydesk.money import to_decimal

        return to_decimal(value)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not isinstance(value, Decimal)
        ):
            value = Decimal(value)
        return to_storage_units(value)

    def formfield(self, **kwargs: Any) -> Any:
        """A DecimalField that honours the model field's `blank` (not required when blank),
        label, help text and default, like any model field's form field."""
        from django import forms

        defaults = {"form_class": forms.DecimalField, "decimal_places": 4, "max_digits": 16}
        defaults.update(kwargs)
        # models.Field's, not IntegerField's: no integer min/max bounds on an amount.
        return models.Field.formfield(self, **defaults)
