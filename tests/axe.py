"""Accessibility checks with axe-core (npm, installed by `make test` into tests/browser-tools).

`assert_accessible(page)` runs axe-core in the page as it is now and fails on any critical or
serious violation, naming the rule, its help text and the first offending elements. The script is
evaluated through the browser's DevTools protocol, so the page's Content-Security-Policy (which
refuses inline and foreign scripts) stays on for the rest of the test.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

AXE_JS = Path(__file__).parent / "browser-tools" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(page, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """axe-core's violations of the page as displayed, limited to the given impacts."""
    if not AXE_JS.exists():
        message = f"axe-core is not installed at {AXE_JS}: run `make test` (it runs npm ci)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def assert_accessible(page, what: str = "") -> None:
    found = violations(page)
    if found:
        lines = [
            f"- {v['impact']}: {v['id']} — {v['help']} ({', '.join(v['nodes'])})" for v in found
        ]
        where = what or page.url
        pytest.fail(
            f"axe-core found {len(found)} blocking violation(s) on {where}:\n" + "\n".join(lines)
        )
