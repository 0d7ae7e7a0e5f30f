"""Template helpers of the back office's lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_list
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def labelled_result_list(cl: Any) -> dict[str, Any]:
    """Django's `{% result_list cl %}`, rendered by Django's own change_list_results.html, with
    each cell naming its column in `data-label`: stack-table.css shows it beside the value
    when a phone stacks a row into a card (the list sits in a `.stack-table-cards` box)."""
    context: dict[str, Any] = dict(result_list(cl))
    labels = [
        _("Select")
        if "action-checkbox-column" in str(header.get("class_attrib", ""))
        else capfirst(strip_tags(str(header["text"])).strip())
        for header in context["result_headers"]
    ]
    context["results"] = [
        ResultList(getattr(row, "form", None), _labelled(row, labels)) for row in context["results"]
    ]
    return context


def _labelled(cells: Sequence[str], labels: Sequence[str]) -> list[SafeString]:
    """The admin renders each cell as finished HTML (`<td class="field-total_display">…`): the
    escaped label goes into its opening tag."""
    return [
        mark_safe(f'{cell[:3]} data-label="{escape(label)}"{cell[3:]}')
        for cell, label in zip(cells, labels, strict=False)
    ]


@register.filter
def close_says_back_to(submit_row: str, opts: Any) -> SafeString:
    """Django's submit row (admin/submit_line.html, already escaped) with its "Close" link
    saying where it goes, "Back to disputes" (`opts`: the model's options)."""
    close = f'class="closelink">{escape(_("Close"))}</a>'
    back = _("Back to %(name)s") % {"name": opts.verbose_name_plural}
    return mark_safe(str(submit_row).replace(close, f'class="closelink">{escape(back)}</a>'))
