"""`make deploy-test`: the README's production deployment on this one machine, under load and
faults, then its invariants (issue 18; docs/deployment.md).

Starts a PostgreSQL instance of its own (initdb/pg_ctl, data under var/deploy/, its own port:
the machine's shared cluster is never restarted), Redis, an SMTP sink, two gunicorn app servers
from deploy/paydesk-web@.service behind HAProxy with deploy/haproxy.cfg (health-checked on
/health/ready), two `paydesk worker` from deploy/paydesk-worker@.service; drives a mixed Locust
load (scripts/deploy/locustfile.py) for LOAD seconds while it SIGKILLs an app server (and
restarts it), SIGKILLs a worker (and restarts it), restarts PostgreSQL (fast shutdown) and
freezes the proxy's upstream for a few seconds; lets the workers drain; stops everything with
SIGTERM (graceful, timed); runs deploy/paydesk-check-balances.service's command; checks the
invariants (scripts/deploy/state.py check) and prints and writes the figures to bench/results/.
Before it starts, HAProxy checks deploy/haproxy.cfg's production branch (TLS, a throwaway
self-signed certificate), which the test itself serves over plain HTTP. Exit status 0 only when
every invariant holds, the ledger check exits 0 and every operation ended in success or a clear
refusal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "deploy"))
from report import report, summarise  # noqa: E402 — scripts/deploy/report.py

VAR = ROOT / "var" / "deploy"
VENV_BIN = ROOT / ".venv" / "bin"
LOCUST_VENV = VAR / "locust-venv"
LOCUST_PIN = "locust==2.47.0"  # as bench/requirements.txt
DB_NAME = "paydesk_deploy"
T0 = time.monotonic()
PROCS: dict[str, subprocess.Popen] = {}


def log(message: str) -> None:
    print(f"[deploy-test {time.monotonic() - T0:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, check, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001, S110 — not up yet
            pass
        time.sleep(0.3)
    raise SystemExit(f"deploy-test: {what} did not come up within {timeout:.0f} s")


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 — loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# ------------------------------------------------------------------------- PostgreSQL


class Postgres:
    """A PostgreSQL instance of the test's own: var/deploy/pg, its own port and socket dir."""

    def __init__(self, port: int) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_version)
        if not versions:
            raise SystemExit(
                "deploy-test: no /usr/lib/postgresql/*/bin/pg_ctl (apt-get install postgresql)"
            )
        self.bin = versions[-1].parent
        self.port = port
        self.data = VAR / "pg"
        self.sock = VAR / "pg-sock"
        self.logfile = VAR / "postgres.log"
        self.as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def start(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", check=False)
            shutil.rmtree(self.data)
        self.sock.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
            for parent in (VAR, VAR.parent):
                parent.chmod(parent.stat().st_mode | 0o011)  # postgres may walk through
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.logfile.touch()
        if self.as_postgres:
            shutil.chown(self.logfile, "postgres", "postgres")
        self.pg_ctl("start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DB_NAME)

    def pg_ctl(self, action: str, *extra: str) -> float:
        options = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 "
            "-c max_connections=120 -c shared_buffers=64MB"
        )
        started = time.monotonic()
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w",
            "-t", "60", action, *extra,
        )  # fmt: skip
        return time.monotonic() - started

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "fast", check=False)


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.parent.parent.name))


# --------------------------------------------------------------------- the deployment


def unit_command(unit: str, instance: str, env: dict[str, str]) -> tuple[list[str], dict]:
    """ExecStart and Environment= of a systemd unit under deploy/, as systemd would run them
    (/opt/paydesk is this checkout; %i the instance)."""
    text = (ROOT / "deploy" / unit).read_text()
    extra: dict[str, str] = {}
    command: list[str] = []
    for line in text.splitlines():
        line = line.replace("%i", instance).replace("/opt/paydesk", str(ROOT))
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            extra[name] = value
        elif line.startswith("ExecStart="):
            command = line.removeprefix("ExecStart=").split()
    if not command:
        raise SystemExit(f"deploy-test: no ExecStart in deploy/{unit}")
    return command, {**env, **extra}


def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    out = (VAR / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    PROCS[name] = process
    return process


def signal_group(name: str, signum: int) -> None:
    process = PROCS.get(name)
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass


def stop_gracefully(name: str, timeout: float) -> float | None:
    """SIGTERM to the process (gunicorn's master, the worker); seconds until it exited, or None
    when it had to be killed."""
    process = PROCS.get(name)
    if process is None or process.poll() is not None:
        return 0.0
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        signal_group(name, signal.SIGKILL)
        process.wait(10)
        return None
    signal_group(name, signal.SIGKILL)  # anything it left behind
    return time.monotonic() - started


def haproxy_production_check() -> str:
    """`haproxy -c` on deploy/haproxy.cfg as production loads it (PAYDESK_TLS_CERT set: HTTPS on
    :443, the haproxy user, its chroot), with a throwaway self-signed certificate. Nothing binds."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = VAR / "tls-check.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pem.chmod(0o600)
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
        env={"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/bin"),
             "PAYDESK_TLS_CERT": str(pem), "PAYDESK_APP1": "127.0.0.1:8001",
             "PAYDESK_APP2": "127.0.0.1:8002"},
        capture_output=True, text=True,
    )  # fmt: skip
    pem.unlink()
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("deploy-test: deploy/haproxy.cfg's production (TLS) branch is invalid")
    return "valid (haproxy -c, PAYDESK_TLS_CERT set)"


def ensure_locust() -> Path:
    locust = LOCUST_VENV / "bin" / "locust"
    if not locust.exists():
        log(f"installing {LOCUST_PIN} into {LOCUST_VENV.relative_to(ROOT)}")
        subprocess.check_call([sys.executable, "-m", "venv", str(LOCUST_VENV)])
        subprocess.check_call([str(LOCUST_VENV / "bin" / "pip"), "install", "--quiet", LOCUST_PIN])
    return locust


def state(action: str, env: dict[str, str], *args: str) -> dict:
    result = subprocess.run(
        [str(VENV_BIN / "python"), str(ROOT / "scripts" / "deploy" / "state.py"), action, *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"deploy-test: state.py {action} failed")
    return json.loads(lines[-1].removeprefix("RESULT "))


# ------------------------------------------------------------------------------ main


def main() -> int:  # noqa: C901, PLR0915 — one script, read top to bottom
    parser = argparse.ArgumentParser()
    parser.add_argument("--load-seconds", type=int, default=120)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    for tool in ("haproxy", "redis-server"):
        if not shutil.which(tool):
            raise SystemExit(f"deploy-test: {tool} is missing (apt-get install {tool})")
    VAR.mkdir(parents=True, exist_ok=True)
    for old in VAR.glob("*.log"):
        old.unlink()
    locust = ensure_locust()
    tls_config = haproxy_production_check()
    ports = {name: free_port() for name in ("pg", "redis", "smtp", "proxy", "app1", "app2")}
    proxy = f"http://127.0.0.1:{ports['proxy']}"
    pg = Postgres(ports["pg"])
    sink = VAR / "smtp.jsonl"
    sink.unlink(missing_ok=True)
    env = {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        # The production settings refuse the sandbox, which plays the card gateway here: the
        # app runs the base settings with DEBUG off (docs/deployment.md says what differs).
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.dev",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{ports['pg']}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PAYDESK_TRUSTED_PROXIES": "1",
        "PAYDESK_PUBLIC_URL": proxy,
        "PAYDESK_VAR_DIR": str(VAR / "app"),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(ports["smtp"]),
        "EMAIL_TIMEOUT": "5",
        "PAYDESK_SANDBOX": "1",
        "PAYDESK_STRIPE_SECRET_KEY": "sk_test_paydesk_sandbox",
        "PAYDESK_STRIPE_PUBLISHABLE_KEY": "pk_test_paydesk_sandbox",
        "PAYDESK_STRIPE_WEBHOOK_SECRET": "whsec_paydesk_sandbox",
        "PAYDESK_GATEWAY_TIMEOUT": "5",
        # One load tool on one address with a dozen keys is not what the rate limits are for.
        "PAYDESK_API_RATE": "1000000/m",
        # Every voucher attempt is reserved as a failure before it runs, and one that a killed
        # server or the database restart cut short is never given back: from one address, five
        # of those would refuse every redemption for 15 minutes (docs/deployment.md).
        "PAYDESK_VOUCHER_FAILURE_LIMIT": "1000000",
        # Recovery after a killed worker within the test's minutes, not production's.
        "PAYDESK_EMAIL_SEND_LEASE_SECONDS": "15",
        "PAYDESK_WORKER_LEASE_SECONDS": "30",
        "PAYDESK_EMAIL_RETRY_SECONDS": "5",
        "PAYDESK_RECONCILE_AFTER_MINUTES": "0",
        # A reconciliation run stops asking well within the 30 s lease (5 s gateway timeouts).
        "PAYDESK_RECONCILE_RUN_SECONDS": "15",
        "PAYDESK_WEB_WORKERS": "2",
        "PAYDESK_WEB_THREADS": "4",
        "PAYDESK_GRACEFUL_SECONDS": "20",
    }
    faults: list[str] = []
    figures: dict = {"ports": ports, "haproxy_tls_config": tls_config}
    try:
        log(f"PostgreSQL of its own on 127.0.0.1:{ports['pg']} (data in var/deploy/pg)")
        pg.start()
        start("redis", ["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no"], env)  # fmt: skip
        start("smtp", [str(VENV_BIN / "python"), str(ROOT / "scripts/deploy/smtp_sink.py"),
                       "--port", str(ports["smtp"]), "--out", str(sink)], env)  # fmt: skip
        log("migrate, collectstatic, seed")
        subprocess.run([str(VENV_BIN / "paydesk"), "migrate", "--noinput", "-v0"], env=env,
                       check=True, cwd=ROOT)  # fmt: skip
        subprocess.run([str(VENV_BIN / "paydesk"), "collectstatic", "--noinput", "-v0"],
                       env=env, check=True, cwd=ROOT)  # fmt: skip
        data = VAR / "load.json"
        codes = max(2000, args.load_seconds * 40)
        figures["seed"] = state("seed", env, "--customers", str(args.users), "--codes",
                                str(codes), "--out", str(data))  # fmt: skip
        for n in (1, 2):
            command, app_env = unit_command("paydesk-web@.service", str(ports[f"app{n}"]), env)
            start(f"app{n}", command, app_env)
        for n in (1, 2):
            command, worker_env = unit_command("paydesk-worker@.service", str(n), env)
            start(f"worker{n}", command, worker_env)
        haproxy_env = {**env, "PAYDESK_PROXY_BIND": f"127.0.0.1:{ports['proxy']}",
                       "PAYDESK_APP1": f"127.0.0.1:{ports['app1']}",
                       "PAYDESK_APP2": f"127.0.0.1:{ports['app2']}"}  # fmt: skip
        start("haproxy", ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
              haproxy_env)  # fmt: skip
        for n in (1, 2):
            wait_for(f"app server {n}", lambda n=n: http_status(
                f"http://127.0.0.1:{ports[f'app{n}']}/health/ready") == 200)  # fmt: skip
        wait_for("the proxy", lambda: http_status(f"{proxy}/health/ready") == 200)
        time.sleep(2.5)  # both servers marked up by the proxy's health checks
        log(f"deployment up: proxy {proxy}, app servers :{ports['app1']} :{ports['app2']}")

        log_file = VAR / "locust-records.json"
        load_env = {**os.environ, "DEPLOY_DATA": str(data), "DEPLOY_LOG": str(log_file)}
        L = args.load_seconds  # noqa: N806
        timeline = {"during_from": 0.2 * L, "during_to": 0.8 * L}
        load_start = time.time()
        locust_proc = subprocess.Popen(
            [str(locust), "-f", str(ROOT / "scripts/deploy/locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time",
             f"{L}s", "--stop-timeout", "130", "--host", proxy, "--only-summary",
             "--loglevel", "WARNING"],
            env=load_env, cwd=ROOT, stdout=(VAR / "locust.log").open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

        def note(text: str) -> None:
            faults.append(f"{time.time() - load_start:5.1f}s {text}")
            log(faults[-1])

        def at(fraction: float) -> None:
            delay = load_start + fraction * L - time.time()
            if delay > 0:
                time.sleep(delay)

        at(0.20)
        signal_group("app1", signal.SIGKILL)
        note("SIGKILL app server 1 (master and workers)")
        at(0.30)
        command, app_env = unit_command("paydesk-web@.service", str(ports["app1"]), env)
        start("app1", command, app_env)
        note("app server 1 restarted")
        at(0.38)
        signal_group("worker1", signal.SIGKILL)
        note("SIGKILL worker 1")
        at(0.45)
        command, worker_env = unit_command("paydesk-worker@.service", "1", env)
        start("worker1", command, worker_env)
        note("worker 1 restarted")
        at(0.50)
        seconds = pg.pg_ctl("restart", "-m", "fast")
        note(f"PostgreSQL restarted (fast shutdown, {seconds:.1f} s)")
        at(0.65)
        for name in ("app1", "app2"):
            signal_group(name, signal.SIGSTOP)
        note("upstream blocked (both app servers frozen)")
        time.sleep(5)
        for name in ("app1", "app2"):
            signal_group(name, signal.SIGCONT)
        note("upstream unblocked after 5 s")
        locust_proc.wait(L + 200)
        log("load over: the workers drain the outbox")
        drain_until = time.monotonic() + 90
        while time.monotonic() < drain_until:
            left = state("check", env, "--sink", str(sink))
            if left["emails_unsent"] == 0:
                break
            time.sleep(5)
        figures["settled_after_load"] = state("settle", env)["settled"]
        shutdown = {}
        for name in ("app1", "app2", "worker1", "worker2"):
            seconds = stop_gracefully(name, 40)
            shutdown[name] = None if seconds is None else round(seconds, 1)
        figures["graceful_stop_seconds"] = shutdown
        log(f"SIGTERM: stopped in {shutdown}")
        # The hourly ledger check, as deploy/paydesk-check-balances.service runs it.
        command, check_env = unit_command("paydesk-check-balances.service", "", env)
        result = subprocess.run(
            command, env=check_env, cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        figures["check_balances"] = {
            "exit": result.returncode,
            "said": (result.stdout + result.stderr).strip().splitlines()[-1:],
        }
        log(f"paydesk-check-balances.service: {figures['check_balances']}")
        figures["check"] = state("check", env, "--sink", str(sink))
        records = json.loads(log_file.read_text()) if log_file.exists() else []
        figures["load"] = summarise(records, load_start, timeline)
    finally:
        for name in list(PROCS):
            signal_group(name, signal.SIGCONT)
            if name not in ("app1", "app2", "worker1", "worker2"):
                stop_gracefully(name, 10)
            else:
                signal_group(name, signal.SIGKILL)
        pg.stop()
    figures["faults"] = faults
    ok = report(figures, args, save=not args.no_save)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
