"""The layering as a test (docs/architecture.md): import-linter's contracts in pyproject.toml, no
import cycle between Paydesk's top-level packages, and payment rows written only by the ledger.

Each check is shown to catch what it is for: a deliberate back-edge added to the real import
graph makes the cycle check fail, and a deliberate write outside the ledger makes the write check
fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

pytestmark = pytest.mark.sqlite_pass_only  # the code, not the database

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "paydesk"
WRITES = {
    "update",
    "create",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "raw",
}


def test_the_import_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Groups of top-level packages that import each other (directly or through others)."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _top(module), _top(imported)
            if a != b:
                edges.setdefault(a, set()).add(b)
    reach: dict[str, set[str]] = {}
    for start in edges:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        reach[start] = seen
    groups: list[set[str]] = []
    for a in sorted(edges):
        group = {a} | {b for b in reach[a] if a in reach.get(b, set())}
        if len(group) > 1 and group not in groups:
            groups.append(group)
    return groups


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("paydesk", include_external_packages=False)


def test_no_import_cycle_between_top_level_packages(graph):
    assert package_cycles(graph) == []


def test_a_deliberate_back_edge_is_caught():
    """What the ledger importing the checkout (a back-edge) would do to the graph."""
    broken = grimp.build_graph("paydesk", include_external_packages=False)
    broken.add_import(importer="paydesk.ledger.services", imported="paydesk.checkout.events")
    assert {"ledger", "checkout"} <= next(iter(package_cycles(broken)))


def payment_writes(path: Path) -> list[str]:
    """`Payment.objects…<write>(…)` calls and `Payment(…)` constructions in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Payment":
            found.append(f"{path.name}:{node.lineno} Payment(…)")
        if isinstance(func, ast.Attribute) and func.attr in WRITES:
            receiver = func.value
            while isinstance(receiver, ast.Call | ast.Attribute):
                receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
                if (
                    isinstance(receiver, ast.Attribute)
                    and receiver.attr == "objects"
                    and isinstance(receiver.value, ast.Name)
                    and receiver.value.id == "Payment"
                ):
                    found.append(f"{path.name}:{node.lineno} Payment.objects….{func.attr}()")
                    break
    return found


def test_only_the_ledger_writes_payment_rows():
    outside = [
        path
        for path in SRC.rglob("*.py")
        if "ledger" not in path.relative_to(SRC).parts[:1] and "migrations" not in path.parts
    ]
    writes = [write for path in outside for write in payment_writes(path)]
    assert writes == []


def test_a_deliberate_write_outside_the_ledger_is_caught(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Payment.objects.filter(pk=1).update(fee=1)\n"
        "Payment.objects.select_for_update().filter(pk=1).delete()\n"
        "Payment(total=1).save()\n"
        "Quote.objects.filter(pk=1).update(gateway_url='')\n"
    )
    assert payment_writes(sample) == [
        "sample.py:1 Payment.objects….update()",
        "sample.py:2 Payment.objects….delete()",
        "sample.py:3 Payment(…)",
    ]
