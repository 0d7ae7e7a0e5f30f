"""Form widgets of the back office.

Django's autocomplete widget looks up the posted value in the database to draw the chosen
option again; a value that is not a key at all ("abc", whitespace, NUL) made that lookup raise
while the form was re-rendered with its error — a 500 instead of "Select a valid choice".
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError


class KeyCheckedAutocompleteSelect(AutocompleteSelect):
    """AutocompleteSelect that draws only posted values that can be keys of the related model
    (the field's own error message says the rest was refused)."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        remote = self.field.remote_field
        key_field = remote.model._meta.get_field(remote.field_name)
        keys = []
        for candidate in value:
            try:
                key_field.clean(candidate, None)  # its type and range in this database
            except ValidationError:
                continue
            keys.append(candidate)
        return super().optgroups(name, keys, attr)


class KeyCheckedAutocompleteMixin:
    """A ModelAdmin mixin: its autocomplete_fields use KeyCheckedAutocompleteSelect."""

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs.setdefault(
                "widget",
                KeyCheckedAutocompleteSelect(
                    db_field,
                    self.admin_site,  # type: ignore[attr-defined]
                    using=kwargs.get("using"),
                ),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
