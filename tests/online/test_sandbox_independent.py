"""The sandbox checks Paydesk's gateway code, so it must not be built from it: a stand-in that
signs with the signer it is meant to test mirrors every mistake and every test still passes.

Every module under paydesk.sandbox is read with `ast` (nothing is imported, so a forbidden import
inside a function is caught too) and may import nothing from Paydesk's gateways, checkout, ledger
or errors. From paydesk.money only `format_money` may come (how an amount is shown on a hosted
page); a gateway's minor units are the sandbox's own tables.
"""

from __future__ import annotations

import ast
from pathlib import Path

import paydesk.sandbox

FORBIDDEN = ("paydesk.gateways", "paydesk.checkout", "paydesk.ledger", "paydesk.errors")
MONEY_ALLOWED = {"format_money"}
SANDBOX = Path(paydesk.sandbox.__file__).resolve().parent


def _modules() -> list[Path]:
    return sorted(SANDBOX.rglob("*.py"))


def _module_name(path: Path, sandbox: Path = SANDBOX) -> str:
    parts = path.relative_to(sandbox.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolved(node: ast.ImportFrom, path: Path, sandbox: Path) -> str:
    """The absolute module an ImportFrom names (relative imports resolved from `path`)."""
    if not node.level:
        return node.module or ""
    package = _module_name(path, sandbox).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(path: Path, sandbox: Path = SANDBOX) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in the file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            found.append((node.lineno, _resolved(node, path, sandbox), names))
    return found


def _forbidden(module: str, names: list[str]) -> bool:
    if any(module == f or module.startswith(f + ".") for f in FORBIDDEN):
        return True
    if module == "paydesk" and any(f"paydesk.{name}" in FORBIDDEN for name in names):
        return True  # from paydesk import gateways
    if module == "paydesk.money":
        return not names or not set(names) <= MONEY_ALLOWED
    return module == "paydesk" and "money" in names


def test_the_walk_sees_every_gateways_package():
    names = {_module_name(path) for path in _modules()}
    for gateway in ("stripe", "paypal", "razorpay", "paystack", "nowpayments"):
        assert f"paydesk.sandbox.{gateway}.urls" in names
    assert "paydesk.sandbox.core" in names and "paydesk.sandbox.paypal.signing" in names


def test_no_sandbox_module_imports_the_code_it_checks():
    offences = [
        f"{path.relative_to(SANDBOX)}:{line} imports {module} {names or ''}".strip()
        for path in _modules()
        for line, module, names in _imports(path)
        if _forbidden(module, names)
    ]
    assert offences == []


def test_the_check_itself_catches_each_form_of_import(tmp_path):
    """The detector is not vacuous: each way of writing a forbidden import is caught."""
    sample = tmp_path / "paydesk" / "sandbox" / "x" / "views.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "import paydesk.gateways.http\n"
        "from paydesk.checkout import services\n"
        "from paydesk import ledger\n"
        "def f():\n    from paydesk.errors import PaydeskError\n"
        "from paydesk.money import currency_exponent\n"
        "from paydesk.money import format_money\n"
        "from ...gateways.signing import hmac_hex\n"
    )
    found = _imports(sample, tmp_path / "paydesk" / "sandbox")
    caught = sorted(line for line, module, names in found if _forbidden(module, names))
    assert caught == [1, 2, 3, 5, 6, 8]  # everything but line 7's format_money
