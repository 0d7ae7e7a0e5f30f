"""Template helpers of the back office's lists and forms: each takes what Django's own admin
template rendered and changes only what it names (no copy of Django's templates)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_list
from django.utils.html import escape, format_html, strip_tags
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


# Django's search box (admin/search_form.html) labels its input with a magnifier icon alone.
SEARCH_LABEL = re.compile(r'<label for="searchbar">(.*?)</label>', re.S)
ICON_ALT = re.compile(r'(<img [^>]*)alt="[^"]*"')


@register.filter
def search_says_what(search_box: str, cl: Any) -> SafeString:
    """Django's search box (already escaped) with its label saying in visible words what it
    searches, "Search payments", beside the icon, now decoration (`alt=""`): axe-core wants a
    label with text (`cl`: the change list)."""
    words = _("Search %(name)s") % {"name": cl.opts.verbose_name_plural}

    def labelled(found: re.Match[str]) -> str:
        icon = ICON_ALT.sub(r'\1alt=""', found.group(1)).strip()
        return format_html(
            '<label for="searchbar" class="backoffice-search-label">{} {}</label>',
            mark_safe(icon),  # Django's own markup, escaped by its template
            words,
        )

    return mark_safe(SEARCH_LABEL.sub(labelled, str(search_box), count=1))


@register.filter
def header_cells_named(inline: str) -> SafeString:
    """Django's tabular inline (already escaped) with visually hidden text in the two header
    cells it leaves empty: the saved rows' column ("Saved") and the last one when rows cannot
    be deleted ("Remove"), so a screen reader names them without a script (axe-core
    `empty-table-header`)."""
    named = str(inline).replace(
        '<th class="original"></th>',
        format_html(
            '<th class="original"><span class="visually-hidden">{}</span></th>', _("Saved")
        ),
        1,
    )
    return mark_safe(
        named.replace(
            "<th></th>",
            format_html('<th><span class="visually-hidden">{}</span></th>', _("Remove")),
            1,
        )
    )
