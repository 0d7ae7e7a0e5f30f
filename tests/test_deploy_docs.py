"""README's production recipe and the files under deploy/ agree (issue 18; docs/deployment.md).

The recipe is what a provider follows on a fresh Debian machine; `make deploy-test` starts the
very files it installs. These checks read the README, the units, haproxy.cfg, the settings and
scripts/deploy_test.py as text (no service is started) and fail when one of them drifts: another
path or user in a unit than the README creates, a file under deploy/ that the README does not
install or the test does not use, a variable in the environment file that no setting reads, a
variable the test sets differently that docs/deployment.md does not own up to. The environment
file the README writes is written here by the README's own commands and must start the
production settings.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_pass_only  # text and one subprocess, not the database

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTINGS = ROOT / "src" / "paydesk" / "settings"


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = re.compile(r"^#+ ", re.M).search(text, start + len(heading))
    return text[start : end.start() if end else len(text)]


def production() -> str:
    return section((ROOT / "README.md").read_text(), "## Running in production")


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def shell_lines(text: str) -> list[str]:
    return [line for block in shell_blocks(text) for line in block.splitlines()]


def heredoc(text: str, target: str) -> tuple[str, str]:
    """The command line `cat >> TARGET <<EOF` (its file) and the lines up to EOF."""
    for block in shell_blocks(text):
        match = re.search(rf"^cat >> ({target}) <<EOF\n(.*?)^EOF$", block, flags=re.S | re.M)
        if match:
            return match.group(1), match.group(2)
    raise AssertionError(f"README's production section writes no {target} with a heredoc")


def unit(name: str) -> dict[str, str]:
    """`Key=value` lines of a unit under deploy/ (the last one wins, as systemd reads most)."""
    values: dict[str, str] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def recipe() -> dict[str, str]:
    """What the README's commands create: the user, the code and venv, the environment file."""
    lines = shell_lines(production())
    useradd = next(shlex.split(line) for line in lines if line.startswith("useradd "))
    clone = next(shlex.split(line.split("#")[0]) for line in lines if line.startswith("git clone"))
    venv = next(line for line in lines if "-m venv" in line)
    code = clone[-1]
    assert f"cd {code} && python3 -m venv .venv" in venv, venv
    env_file, _ = heredoc(production(), r"/etc/paydesk/\S+")
    return {"user": useradd[-1], "code": code, "venv": f"{code}/.venv", "env_file": env_file}


UNITS = sorted(p.name for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))
SERVICES = [name for name in UNITS if name.endswith(".service")]


def test_the_recipe_is_parsed_as_the_readme_writes_it():
    assert recipe() == {
        "user": "paydesk",
        "code": "/opt/paydesk",
        "venv": "/opt/paydesk/.venv",
        "env_file": "/etc/paydesk/paydesk.env",
    }
    assert SERVICES == [
        "paydesk-check-balances.service",
        "paydesk-web@.service",
        "paydesk-worker@.service",
    ]


@pytest.mark.parametrize("name", SERVICES)
def test_each_unit_runs_what_the_readme_installs(name):
    made = recipe()
    values = unit(name)
    assert values["User"] == values["Group"] == made["user"]
    assert values["WorkingDirectory"] == made["code"]
    assert values["EnvironmentFile"] == made["env_file"]
    command = values["ExecStart"].split()
    assert command[0].startswith(f"{made['venv']}/bin/"), command
    if name == "paydesk-web@.service":
        assert command[1:] == [
            "--config",
            f"{made['code']}/deploy/gunicorn.conf.py",
            "paydesk.wsgi:application",
        ]
        assert (ROOT / "src" / "paydesk" / "wsgi.py").exists()
    else:
        # The same program step 5's function runs for an administrator's commands.
        assert command[0] == f"{made['venv']}/bin/paydesk"
        assert f"exec runuser -u {made['user']} -- {command[0]} " in production()


def systemd_verify(directory: Path, names: list[str]) -> list[str]:
    """What `systemd-analyze verify` says of these units: systemd's own reading of each key."""
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{name}" for name in names)],
        capture_output=True,
        text=True,
        cwd=directory,
    )
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def instances(directory: Path) -> list[str]:
    """The units under deploy/ copied into `directory`, templates as the README enables them."""
    names = []
    for name in UNITS:
        instance = name.replace("@.service", "@1.service")
        (directory / instance).write_text((DEPLOY / name).read_text())
        names.append(instance)
    return names


def test_systemd_reads_every_unit_without_a_complaint(tmp_path):
    # The units cannot be started here (no systemd as PID 1), but systemd's own parser can read
    # them: an unknown key, a misspelt section or a bad time value would be ignored by systemd
    # on the provider's machine with only a log line. The one expected complaint is that the
    # program the README installs into /opt/paydesk/.venv is not on this machine.
    venv = recipe()["venv"]
    said = systemd_verify(tmp_path, instances(tmp_path))
    missing = re.compile(
        rf"^\S+: Command {re.escape(venv)}/bin/(gunicorn|paydesk) is not executable"
    )
    assert [line for line in said if not missing.match(line)] == []
    assert {match.group(1) for line in said if (match := missing.match(line))} == {
        "gunicorn",
        "paydesk",
    }


def test_the_systemd_check_sees_a_misspelt_key(tmp_path):
    names = instances(tmp_path)
    web = tmp_path / "paydesk-web@1.service"
    web.write_text(web.read_text().replace("TimeoutStopSec=", "TimeoutStopSecs="))
    said = systemd_verify(tmp_path, names)
    assert any("Unknown key" in line and "TimeoutStopSecs" in line for line in said), said


def test_the_environment_file_is_root_only_and_read_by_every_unit():
    text = production()
    env_file = recipe()["env_file"]
    assert f"install -m 0600 /dev/null {env_file}" in text
    assert f". {env_file} &&" in text  # step 5's function reads the same file
    assert {unit(name)["EnvironmentFile"] for name in SERVICES} == {env_file}


def test_every_deploy_file_is_installed_by_the_readme_and_used_by_the_test():
    text = production()
    lines = shell_lines(text)
    install = next(line for line in lines if line.startswith("cp ") and ".service" in line)
    patterns = [Path(word).name for word in shlex.split(install)[1:-1]]
    test_script = (ROOT / "scripts" / "deploy_test.py").read_text()
    for path in sorted(p for p in DEPLOY.iterdir() if p.is_file()):  # not __pycache__
        assert path.name in text or f"deploy/{path.name}" in text, f"README omits {path.name}"
        if path.suffix in (".service", ".timer"):
            assert any(Path(path.name).match(p) for p in patterns), f"{install!r} misses it"
        if path.suffix == ".timer":
            # The one file the test cannot start: it schedules a service the test runs.
            started = unit(path.name)["Unit"]
            assert (DEPLOY / started).exists()
            assert f'"{started}"' in test_script
        else:
            # Named by the test, or in the command of a unit the test runs (gunicorn.conf.py).
            started_by = [
                name
                for name in SERVICES
                if f'"{name}"' in test_script and path.name in unit(name)["ExecStart"]
            ]
            assert (
                f'"{path.name}"' in test_script
                or "deploy/" + path.name in test_script
                or (started_by)
            ), f"scripts/deploy_test.py never uses deploy/{path.name}"


def test_the_units_enabled_are_the_units_shipped_and_haproxy_points_at_them():
    lines = shell_lines(production())
    enable = next(line for line in lines if line.startswith("systemctl enable --now"))
    enabled = enable.split()[3:]
    assert {re.sub(r"@[^.]*", "@", name).split(".")[0] for name in enabled} == {
        "paydesk-web@",
        "paydesk-worker@",
        "paydesk-check-balances",
    }
    assert "paydesk-check-balances.timer" in enabled
    ports = [name.removeprefix("paydesk-web@") for name in enabled if "web@" in name]
    _, haproxy_vars = heredoc(production(), "/etc/default/haproxy")
    assigned = dict(line.split("=", 1) for line in haproxy_vars.splitlines())
    assert [assigned["PAYDESK_APP1"], assigned["PAYDESK_APP2"]] == [
        f"127.0.0.1:{port}" for port in ports
    ]
    assert unit("paydesk-web@.service")["Environment"] == "PAYDESK_BIND=127.0.0.1:%i"
    cfg = (DEPLOY / "haproxy.cfg").read_text()
    used = set(re.findall(r"\$\{(\w+)\}", cfg)) | set(re.findall(r"defined\((\w+)\)", cfg))
    test_script = (ROOT / "scripts" / "deploy_test.py").read_text()
    for name in used:
        # Production sets it in /etc/default/haproxy, or it is the test's plain-HTTP bind.
        assert name in assigned or (name == "PAYDESK_PROXY_BIND" and name in test_script), name
    assert "cp /opt/paydesk/deploy/haproxy.cfg /etc/haproxy/haproxy.cfg" in production()


def settings_read() -> set[str]:
    """Environment variables the settings modules name as string literals."""
    names: set[str] = set()
    for path in SETTINGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"[A-Z][A-Z0-9_]+", node.value):
                    names.add(node.value)
    return names


def test_every_variable_the_production_section_names_is_read():
    text = production()
    _, body = heredoc(text, r"/etc/paydesk/\S+")
    env_names = [line.split("=", 1)[0] for line in body.splitlines()]
    named = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`", text))
    _, haproxy_vars = heredoc(text, "/etc/default/haproxy")
    haproxy_names = {line.split("=", 1)[0] for line in haproxy_vars.splitlines()}
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    read = settings_read() | {"DJANGO_SETTINGS_MODULE"}
    configuration = section((ROOT / "README.md").read_text(), "## Configuration")
    for name in env_names:
        assert name in read, f"{name} is in the environment file but no setting reads it"
        assert f"`{name}`" in configuration or name == "DJANGO_SETTINGS_MODULE", name
    for name in named - haproxy_names:
        assert name in read or f'"{name}"' in gunicorn, f"README names {name}; nothing reads it"


def test_every_variable_the_deploy_test_sets_differently_is_owned_up_to():
    tree = ast.parse((ROOT / "scripts" / "deploy_test.py").read_text())
    env = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "env" for t in node.targets)
        and isinstance(node.value, ast.Dict)
    )
    keys = {key.value for key in env.keys if isinstance(key, ast.Constant)}
    differs = section((ROOT / "docs" / "deployment.md").read_text(), "### What differs")
    for name in sorted(keys - {"PATH", "HOME", "LANG"}):
        assert f"`{name}" in differs, f"deploy_test.py sets {name}; docs/deployment.md is silent"


def test_the_environment_file_the_readme_writes_starts_the_production_settings(tmp_path):
    """Step 4's own commands (with the path moved under tmp_path) write the file; read as the
    shell of step 5 reads it, it loads paydesk.settings.production without an error."""
    env_file, body = heredoc(production(), r"/etc/paydesk/\S+")
    block = next(b for b in shell_blocks(production()) if f"cat >> {env_file}" in b)
    target = tmp_path / "paydesk.env"
    script = block.replace("install -d -m 0755 /etc/paydesk && ", "").replace(env_file, str(target))
    # `python3` in the commands: this interpreter's (the virtualenv's), as on Debian the system's.
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    clean = {"PATH": path, "DBPASS": "0123456789abcdef"}
    subprocess.run(["bash", "-euc", script], check=True, env=clean, cwd=tmp_path)
    assert target.stat().st_mode & 0o777 == 0o600
    written = target.read_text()
    assert "$" not in written and "`" not in written
    assert [line.split("=", 1)[0] for line in written.splitlines()] == [
        line.split("=", 1)[0] for line in body.splitlines()
    ]
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECRET_KEY != '', len(s.PAYDESK_SECRETS_KEYS), bool(s.PAYDESK_VOUCHER_KEY), "
        "s.PAYDESK_TRUSTED_PROXIES, s.CACHES['default']['BACKEND'].rsplit('.', 1)[1], "
        "s.DATABASES['default']['NAME'], s.STATIC_ROOT, s.SESSION_COOKIE_SECURE)"
    )
    result = subprocess.run(
        ["bash", "-c", f'set -a && . "{target}" && exec "$0" -c "$1"', sys.executable, probe],
        env={"PATH": path},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [
        "True",
        "1",
        "True",
        "1",
        "RedisCache",
        "paydesk",
        "/var/lib/paydesk/static",
        "True",
    ]
