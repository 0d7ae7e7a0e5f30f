"""Model fields for money. An amount is an exact Decimal in Python and an integer of
ten-thousandths in the database, so storage and every SQL aggregate are exact on SQLite too
(Django's DecimalField is a floating-point REAL there).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

from paydesk.money import from_storage_units, to_storage_units


class AmountField(models.BigIntegerField):
    """A signed exact amount with at most 4 decimals, stored as an integer of 1/10,000."""

    description = "Exact amount (integer of ten-thousandths in the database)"
    # What django-stubs' plugin types the model attribute as (set / read): a Decimal, not the
    # int of the column. The stubs' own way for a custom field (they override these the same
    # way, with the same ignore, for NullBooleanField): the base's int is not a Decimal's base.
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

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

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        """A DecimalField that honours the model field's `blank` (not required when blank),
        label, help text and default, like any model field's form field."""
        defaults: dict[str, Any] = {"decimal_places": 4, "max_digits": 16, **kwargs}
        # models.Field's, not IntegerField's: no integer min/max bounds on an amount.
        return models.Field.formfield(
            self, form_class or forms.DecimalField, choices_form_class, **defaults
        )


BASIS_POINTS = 100  # basis points in one percent


def percent_to_basis_points(percent: Decimal) -> int:
    """20.00 (%) → 2000; a percent finer than two decimals is refused, never rounded."""
    units = percent * BASIS_POINTS
    if units != units.to_integral_value():
        raise ValueError(f"{percent} %: at most two decimals (a whole number of basis points).")
    return int(units)


def basis_points_to_percent(units: int) -> Decimal:
    """2000 → Decimal('20.00'): always two decimals."""
    return Decimal(int(units)).scaleb(-2)


class PercentField(models.IntegerField):
    """A percentage with at most two decimals (a tax rate), stored as an integer of basis points
    (1/100 of a percent: 20.00 % is 2000), exact on SQLite and PostgreSQL alike, like
    AmountField; Python sees a Decimal percent at two places. Lookups and constraints are
    written in percent (`tax_rate__lt=100` is `< 10000` in SQL)."""

    description = "Percentage with two decimals (integer of basis points in the database)"
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return basis_points_to_percent(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        from paydesk.money import to_decimal

        return to_decimal(value, field=self.name)

    def get_prep_value(self, value: Any) -> int | None:
        value = self.to_python(value)
        if value is None:
            return None
        return percent_to_basis_points(value)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        """A DecimalField of two decimals: "20", "7.5" and "19.99" are accepted, "7.125" is
        refused with a field message (Django's "no more than 2 decimal places")."""
        defaults: dict[str, Any] = {"decimal_places": 2, "max_digits": 4, **kwargs}
        return models.Field.formfield(
            self, form_class or forms.DecimalField, choices_form_class, **defaults
        )
