"""Template helpers of the back office's lists."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django import template
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def labelled_cells(
    results: Iterable[Sequence[str]], headers: Sequence[dict[str, Any]]
) -> Iterator[list[SafeString]]:
    """The changelist's rows with each cell naming its column in `data-label`, which
    stack-table.css shows beside the value when a phone stacks a row into a card. The admin
    renders each cell as finished HTML (`<td class="field-total_display">…`): the label goes
    into its opening tag."""
    labels = [
        _("Select")
        if "action-checkbox-column" in str(header.get("class_attrib", ""))
        else capfirst(strip_tags(str(header["text"])).strip())
        for header in headers
    ]
    for row in results:
        # The admin's own HTML, and an escaped label.
        yield [
            mark_safe(f'{cell[:3]} data-label="{escape(label)}"{cell[3:]}')
            for cell, label in zip(row, labels, strict=False)
        ]
