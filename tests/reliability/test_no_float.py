"""Spec §3 invariant 5: money is never a float — not in the database, not in a template filter,
not in code. A static sweep over everything under src/paydesk, so new code cannot slip one in:

- Python: no `float(...)` call, no `FloatField`, no model `DecimalField` (a floating-point REAL
  on SQLite: amounts are AmountField, an integer of ten-thousandths; percentages PercentField,
  an integer of basis points);
- the migrated schema: no model field of the project is a FloatField or a DecimalField. A
  migration file may still name one as history (documents 0001 made the tax rate a
  DecimalField, 0002 converted it): the models, which `makemigrations --check` keeps equal to
  the migrations' end state, are what the sweep holds to that;
- templates: no `floatformat` filter (amounts go through paydesk.money.format_money);
- static JavaScript: no `parseFloat` (the server sends amounts already formatted).

The only exceptions are listed in ALLOWED, each with the reason it is not money.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "paydesk"

# (path relative to src/paydesk, text on the offending line): why it is not money.
ALLOWED: dict[tuple[str, str], str] = {
    ("gateways/nowpayments/webhooks.py", "float("): "JavaScript's text of a JSON number, which a "
    "NOWPayments signature covers: a double by definition, never an amount Paydesk keeps",
    ("settings/base.py", "PAYDESK_OUTHOOKS_"): "durations (a timeout in seconds, days and hours "
    "of retrying) of outgoing webhooks, never money",
    ("web/ratelimit.py", "float("): "seconds until a rate limit's window frees a place (the "
    "API's Retry-After, as django-ninja's throttle gives it), never money",
}

FLOAT_NAMES = {"FloatField", "DecimalField"}


def python_offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for every float(...) call, FloatField or model DecimalField in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "float"
        ):
            found.append((node.lineno, "float()"))
        name = None
        if isinstance(node, ast.Attribute) and node.attr in FLOAT_NAMES:
            # forms.DecimalField parses user input into a Decimal: exact, allowed.
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            name = None if owner == "forms" else node.attr
        elif isinstance(node, ast.Name) and node.id == "FloatField":
            name = node.id  # a bare DecimalField may be the forms one; its import is caught below
        elif isinstance(node, ast.ImportFrom) and node.module == "django.db.models":
            name = next((a.name for a in node.names if a.name in FLOAT_NAMES), None)
        if name:
            found.append((node.lineno, name))
    return found


TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".svg", ".csv", ".json", ".md"}


def template_offences(text: str) -> list[tuple[int, str]]:
    return [
        (n, "floatformat") for n, line in enumerate(text.splitlines(), 1) if "floatformat" in line
    ]


def script_offences(text: str) -> list[tuple[int, str]]:
    return [
        (n, "parseFloat")
        for n, line in enumerate(text.splitlines(), 1)
        if re.search(r"\bparseFloat\b", line)
    ]


def sweep() -> list[str]:
    problems = []
    for path in sorted(SRC.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(SRC).as_posix()
        text = (
            path.read_text(errors="replace")
            if path.suffix in {".py", ".js"} | TEMPLATE_SUFFIXES
            else ""
        )
        if path.suffix == ".py":
            offences = python_offences(text)
            if "migrations" in path.parts:  # history; the end state is checked on the models
                offences = [(n, what) for n, what in offences if what == "float()"]
        elif path.suffix == ".js":
            offences = script_offences(text)
        elif path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts:
            offences = template_offences(text)
        else:
            continue
        lines = text.splitlines()
        for lineno, what in offences:
            line = lines[lineno - 1]
            if any(rel == p and snippet in line for p, snippet in ALLOWED):
                continue
            problems.append(f"src/paydesk/{rel}:{lineno}: {what}: {line.strip()}")
    return problems


def test_no_float_anywhere_in_paydesk():
    assert sweep() == []


def test_no_model_field_is_a_float_or_a_decimal_column():
    from django.apps import apps
    from django.db import models

    offending = [
        f"{model._meta.label}.{field.name}: {type(field).__name__}"
        for model in apps.get_models()
        if model.__module__.startswith("paydesk.")
        for field in model._meta.concrete_fields
        if isinstance(field, models.FloatField | models.DecimalField)
    ]
    assert offending == []


def test_the_sweep_sees_what_it_must_refuse():
    assert python_offences("x = float(total)\n") == [(1, "float()")]
    assert python_offences("from django.db import models\nf = models.FloatField()\n") == [
        (2, "FloatField")
    ]
    assert python_offences("amount = models.DecimalField(max_digits=12, decimal_places=4)\n")
    assert python_offences("from django.db.models import DecimalField\n")
    # Exact: refusing floats, and a form field that parses into a Decimal.
    assert python_offences("if isinstance(v, float): raise InvalidAmount('x')\n") == []
    assert python_offences("f = forms.DecimalField(decimal_places=4)\n") == []
    assert python_offences("from django.forms import DecimalField\n") == []
    assert template_offences("{{ payment.total|floatformat:2 }}") == [(1, "floatformat")]
    assert script_offences("const t = parseFloat(cell.textContent);") == [(1, "parseFloat")]
    assert SRC.is_dir() and any(SRC.rglob("*.py"))
