"""`paydesk demo`: the offline demo. An empty database, migrated and seeded, static files
collected, the logins printed, then the demo's processes (`demo_processes()`: the web server and
the background worker) until Ctrl-C, which stops them all.

Runs only with the demo settings (`PAYDESK_DEMO = True`); `paydesk demo` always selects them.
It erases nothing but its own SQLite file (var/demo.sqlite3): a database named by DATABASE_URL
is never erased, and must be empty unless --keep is given.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from paydesk.accounts.models import Customer
from paydesk.demo.customers import DEMO_LOGINS
from paydesk.demo.seed import (
    DemoVouchers,
    seed_demo,
    seed_demo_rates,
    seed_demo_vouchers,
    seed_demo_webhook,
)
from paydesk.twofactor.totp import DEMO_TOTP_SECRET, totp_key_from_secret, totp_uri

STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10


def demo_processes(bind: str) -> dict[str, list[str]]:
    """Every process the demo runs, by name; each is started, watched and stopped alike."""
    return {
        "web server": [
            sys.executable, "-m", "gunicorn", "paydesk.wsgi:application",
            "--bind", bind,
            "--worker-class", "gthread", "--workers", "2", "--threads", "4",
            "--graceful-timeout", "5",
            "--log-level", "warning",
        ],
        "worker": [sys.executable, "-m", "paydesk", "worker"],
    }  # fmt: skip


def parse_addr(text: str) -> tuple[str, int]:
    """`127.0.0.1:8000`, `0.0.0.0:80`, `[::1]:8000` or a bare port → (host, port)."""
    host, _colon, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--addr must look like 127.0.0.1:8000, not '{text}'.")
    return host, int(port)


class Command(BaseCommand):
    help = (
        "Run the offline demo: a fresh database with two customers and a year of payments, "
        "the web server on --addr, and the demo logins printed. Ctrl-C stops it."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--addr",
            default="127.0.0.1:8000",
            metavar="HOST:PORT",
            help="where to serve (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="keep the existing demo database and its data instead of starting afresh",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PAYDESK_DEMO is not True:
            raise CommandError(
                f"The demo runs only with the demo settings; {settings.SETTINGS_MODULE} is not "
                "them. Run it as `paydesk demo`."
            )
        host, port = parse_addr(options["addr"])
        if not _can_bind(host, port):
            raise CommandError(f"Cannot serve on {options['addr']}: the address is in use.")
        self.prepare_database(keep=options["keep"])
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        if Customer.objects.exists():
            self.stdout.write("Keeping the demo data already in the database.")
            seed_demo_rates()  # dated today, so other currencies can still be quoted
        else:
            self.stdout.write("Seeding demo data: two customers, a year of payments…")
            seed_demo()
        # New codes on every start: they exist only in this process and on the console.
        self.demo_vouchers: DemoVouchers | None = seed_demo_vouchers()
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        shown = _connect_host(host)
        # Return URLs, webhook URLs and the sandbox's API base all start here.
        self.public_url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        seed_demo_webhook(base_url=self.public_url)  # its receiver is served by this demo
        connections.close_all()
        self.run(demo_processes(bind), host, port)

    def prepare_database(self, *, keep: bool) -> None:
        """Delete the demo's own SQLite file; refuse to touch any other database with data."""
        if not os.environ.get("DATABASE_URL"):
            if not keep:
                connections.close_all()
                path = str(settings.DATABASES["default"]["NAME"])
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(path + suffix).unlink(missing_ok=True)
            return
        table = Customer._meta.db_table
        has_data = table in connection.introspection.table_names() and Customer.objects.exists()
        if has_data and not keep:
            raise CommandError(
                "DATABASE_URL names a database that already holds customers. The demo erases "
                "only its own SQLite file: give it an empty database, or --keep to use this one."
            )

    def child_environment(self, host: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "PAYDESK_VAR_DIR": str(Path(settings.VAR_DIR).resolve()),
        }
        # Warnings and errors only: INFO lines would push the logins off screen.
        env.setdefault("PAYDESK_LOG_LEVEL", "WARNING")
        if not os.environ.get("PAYDESK_PUBLIC_URL"):
            env["PAYDESK_PUBLIC_URL"] = getattr(self, "public_url", settings.PAYDESK_PUBLIC_URL)
        if not os.environ.get("ALLOWED_HOSTS"):
            served = "*" if host in ("0.0.0.0", "::") else host
            env["ALLOWED_HOSTS"] = ",".join(dict.fromkeys(["127.0.0.1", "localhost", served]))
        return env

    def run(self, commands: dict[str, list[str]], host: str, port: int) -> None:
        """Start every process, print the logins once the server answers, stop all on Ctrl-C."""
        # Stop on Ctrl-C and on `kill`, even when started in the background (SIGINT ignored).
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _raise_keyboard_interrupt)
        env = self.child_environment(host)
        processes = {name: subprocess.Popen(command, env=env) for name, command in commands.items()}
        try:
            self.wait_until_serving(processes, host, port)
            self.print_welcome(host, port)
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        raise CommandError(
                            f"The demo's {name} stopped (exit {process.returncode})."
                        )
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def wait_until_serving(
        self, processes: dict[str, subprocess.Popen[bytes]], host: str, port: int
    ) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        target = _connect_host(host)
        while time.monotonic() < deadline:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise CommandError(
                        f"The demo's {name} did not start (exit {process.returncode})."
                    )
            try:
                socket.create_connection((target, port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"The web server did not answer on {host}:{port} within a minute.")

    def print_welcome(self, host: str, port: int) -> None:
        shown = _connect_host(host)
        base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        width = max(len(login.email) for login in DEMO_LOGINS)
        pwidth = max(len(login.password) for login in DEMO_LOGINS)
        lines = [
            "",
            f"Paydesk demo is running at {base}/",
            f"  Customer portal: {base}/",
            f"  Back office:     {base}/backoffice/",
            "  Emails are printed one line each; the messages are in the back office.",
            f"  Webhooks:        {base}/sandbox/receiver/ (what the demo's endpoint received)",
            *self.second_factor_lines(port),
            *self.voucher_lines(),
            "",
            # Last, so they are on screen.
            "Sign in with (demo passwords, public on purpose):",
            *(
                f"  {login.email.ljust(width)}  {login.password.ljust(pwidth)}  {login.who}"
                for login in DEMO_LOGINS
            ),
            "",
            "Press Ctrl-C to stop.",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def second_factor_lines(self, port: int) -> list[str]:
        """How the demo's staff pass their second factor: a public authenticator secret."""
        uri = totp_uri(key_hex=totp_key_from_secret(DEMO_TOTP_SECRET), account="demo-staff")
        return [
            "",
            "Staff then confirm with a code from an authenticator app. The demo's staff logins",
            "share this public secret (add it to an app, or scan the otpauth:// link as a QR):",
            f"  {DEMO_TOTP_SECRET}",
            f"  {uri}",
            f"  or print the current code: {_command_shown()} totp-code",
            "A staff member you add sets up their own. For passkeys, browse the demo at",
            f"http://localhost:{port}/ (browsers refuse passkeys on an IP address).",
        ]

    def voucher_lines(self) -> list[str]:
        """One unused free-credit code and one bonus code, for a USD customer to redeem."""
        vouchers = getattr(self, "demo_vouchers", None)
        if vouchers is None:
            return []
        return [
            "",
            "Demo vouchers (USD, e.g. for customer@example.com; each redeems once):",
            f"  Free credit, $25.00 at once:  {vouchers.free_credit}",
            f"  Bonus voucher:                {vouchers.bonus}",
            "    (a top-up of at least $50.00 then earns a bonus of 100% of the top-up plus $5.00)",
        ]


def _command_shown() -> str:
    """How to run `paydesk` from here: the virtualenv's script (e.g. .venv/bin/paydesk)."""
    script = Path(sys.executable).parent / "paydesk"
    if not script.exists():
        return "paydesk"
    relative = os.path.relpath(script)
    return relative if not relative.startswith("..") else str(script)


def _can_bind(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (so the demo never greets a stranger)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _connect_host(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
