"""P5 in process: what one top-up costs the app, request by request, deterministically enough to
compare two trees on a loaded machine.

    .venv/bin/python bench/p5_profile.py                       # 3 rounds of 200 per variant
    .venv/bin/python bench/p5_profile.py --cprofile 25         # + a cProfile top list
    .venv/bin/python bench/p5_profile.py --callgrind 40        # + instructions per request
    .venv/bin/python bench/p5_profile.py --tree /tmp/main-copy # A/B: that tree's src/ vs ours

Runs with the app's own .venv (no peers). Seeds like bench/p5.py (through the app's services,
`bench.p5.seed`: customers with portal users and `pay`-scoped API keys, bank details, single-use
1.00 USD vouchers) in a PostgreSQL database of its own, fresh each run and dropped at the end
(`paydesk_bench_p5profile`, or `<PAYDESK_BENCH_PG_DB>_p5profile`, or PAYDESK_BENCH_P5PROFILE_DB),
then drives requests through the WSGI application (`paydesk.wsgi.application`, as gunicorn
calls it: the same headers Locust's FastHttpUser sends) in a child process with DEBUG off,
P5's limits (`PAYDESK_API_RATE=1000000/m`, `PAYDESK_VOUCHER_FAILURE_LIMIT=1000000`) and Redis
as the shared cache (`--redis`, default redis://127.0.0.1:6379/12; `--redis none`: the database
cache). The variants, each request checked as the locustfile checks it:

- bank: POST /api/v1/payments `{"method": "bank_transfer", "amount": "25.00", "currency": "USD"}`
  with its own Idempotency-Key → 201 `pending`;
- voucher: the same with a fresh code → 201 `completed`;
- ping: GET /api/v1/ping → 200.

Per variant and round (the variants' order rotating, `--rounds` of `--n` requests after a
warm-up): app CPU per request (`time.process_time` of this single-threaded process) and the
PostgreSQL backend's CPU per request (its `/proc/<pid>/schedstat`, the server on this machine).
Then, counted on a few requests each: the statements Django executes (`execute_wrapper`; the
ledger's hot statements go around it), PostgreSQL round trips and protocol messages (libpq's own
trace: each Query or Sync is one wait for the server), Redis round trips (redis-py's sends).
`--cprofile K` profiles `--n` more requests of each variant and prints the K functions with the
most own time; `--callgrind N` runs the child once more under valgrind (callgrind, dumping at
each `os.getppid()` this script calls between blocks) and prints app instructions per request,
which the machine's load does not move (the cyclic garbage collector off in those blocks: its
full collections fall in one block or another). With `--tree`, every round runs both trees'
children, alternating, on the same database (their migrations must match).

The plain keys and codes go to bench/var/ files (mode 0600) that the child deletes on reading.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
PG_ADMIN = os.environ.get("PAYDESK_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("PAYDESK_BENCH_P5PROFILE_DB") or (
    f"{os.environ['PAYDESK_BENCH_PG_DB']}_p5profile"
    if os.environ.get("PAYDESK_BENCH_PG_DB")
    else "paydesk_bench_p5profile"
)
VARIANTS = ("bank", "voucher", "ping")
WARMUP = 30
COUNTED = 5


# ---------------------------------------------------------------- the parent


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(sql)


def _env(src: Path, redis: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.dev",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "PAYDESK_VAR_DIR": str(VAR),
        "PAYDESK_STATIC_ROOT": str(VAR / "static"),
        "PAYDESK_LOG_LEVEL": "WARNING",
        "PAYDESK_SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PAYDESK_API_RATE": "1000000/m",
        "PAYDESK_VOUCHER_FAILURE_LIMIT": "1000000",
        # One connection for the whole run, so its backend's CPU is the run's (gunicorn's
        # threads reconnect every 60 s: nothing a request pays for).
        "DB_CONN_MAX_AGE": "3600",
        "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)]),
        "PYTHONHASHSEED": "0",
        "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB,
    }
    env.pop("REDIS_URL", None)
    if redis != "none":
        env["REDIS_URL"] = redis
    return env


def _child(args: list[str], env: dict[str, str], prefix: list[str] | None = None) -> dict:
    cmd = [*(prefix or []), sys.executable, __file__, *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    sys.stderr.write(out.stderr if out.returncode else "")
    if out.returncode:
        raise SystemExit(f"child {args[:2]} failed (exit {out.returncode})")
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit("child printed no RESULT line")


def _write_secret(name: str, data: dict) -> Path:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return path


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="requests per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="or none")
    parser.add_argument("--cprofile", type=int, default=0, metavar="K", help="top K functions")
    parser.add_argument("--callgrind", type=int, default=0, metavar="N", help="N per variant")
    parser.add_argument("--tree", type=Path, help="another checkout, measured beside this one")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--show", action="store_true", help="list the statements sent")
    parser.add_argument(
        "--py-spy", type=Path, metavar="DIR", help="sample N bank and N voucher requests"
    )
    parser.add_argument("--only", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["seed", "measure"])
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    if args.child == "seed":
        _seed(args.customers, int(args.n))
        return
    if args.child == "measure":
        _measure(args)
        return

    trees = [("this", ROOT / "src")]
    if args.tree:
        trees.append((args.tree.name or str(args.tree), args.tree.resolve() / "src"))
    # One child per tree doing every round, or with --tree one child per tree and round.
    children = len(trees) * (args.rounds if len(trees) > 1 else 1)
    per_child = args.rounds if len(trees) == 1 else 1

    def codes_for(r: int) -> int:
        profiled = args.n if args.cprofile and not r else 0
        return WARMUP + args.n * per_child + 2 * COUNTED + profiled

    codes_needed = sum(codes_for(i // len(trees)) for i in range(children))
    codes_needed += (WARMUP + args.callgrind) * len(trees) if args.callgrind else 0
    codes_needed += (WARMUP + args.n) * len(trees) if args.py_spy else 0
    print(
        f"P5 in process: {platform.node()}, Python {platform.python_version()}, database "
        f"{PG_DB}, cache {'redis ' + args.redis if args.redis != 'none' else 'database'}, "
        f"load average {_load()} at the start",
        flush=True,
    )
    _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _pg(f"CREATE DATABASE {PG_DB}")
    try:
        env = _env(ROOT / "src", args.redis)
        secrets_file = VAR / "p5profile-secrets.json"
        _child(
            ["--child", "seed", "--customers", str(args.customers), "--n", str(codes_needed)], env
        )
        data = json.loads(secrets_file.read_text())
        secrets_file.unlink()
        keys, codes = data["keys"], data["codes"]
        results: dict[str, list[dict]] = {label: [] for label, _src in trees}
        for r in range(children // len(trees)):
            order = trees if r % 2 == 0 else trees[::-1]
            for label, src in order:
                n_codes = codes_for(r)
                taken, codes = codes[:n_codes], codes[n_codes:]
                path = _write_secret(f"p5profile-{label}.json", {"keys": keys, "codes": taken})
                child_args = ["--child", "measure", "--data", str(path), "--n", str(args.n)]
                child_args += ["--rounds", str(per_child)]
                child_args += ["--cprofile", str(args.cprofile if not r else 0)]
                result = _child(child_args, _env(src, args.redis))
                results[label].append(result)
                print(f"  {label}: round {r + 1} done (load average {_load()})", flush=True)
        for label, _src in trees:
            _report(label, results[label], args)
        if args.callgrind:
            for label, src in trees:
                taken, codes = codes[: WARMUP + args.callgrind], codes[WARMUP + args.callgrind :]
                path = _write_secret(f"p5profile-{label}.json", {"keys": keys, "codes": taken})
                with tempfile.TemporaryDirectory() as tmp:
                    out = Path(tmp) / "cg.out"
                    prefix = [
                        "valgrind",
                        "--tool=callgrind",
                        "--dump-before=getppid",
                        f"--callgrind-out-file={out}",
                    ]
                    child_args = ["--child", "measure", "--data", str(path), "--callgrind"]
                    child_args += [str(args.callgrind), "--n", str(args.callgrind)]
                    _child(child_args, _env(src, args.redis), prefix=prefix)
                    parts = sorted(Path(tmp).glob("cg.out.*"), key=lambda p: int(p.suffix[1:]))
                    totals = [_callgrind_total(p) for p in parts]
                # Dumps: 1 start-up and warm-up, then one per variant in VARIANTS' order.
                line = ", ".join(
                    f"{v} {totals[i + 1] / args.callgrind / 1e6:.2f} M"
                    for i, v in enumerate(VARIANTS)
                )
                print(f"{label}: app instructions per request (callgrind, {args.callgrind} each):")
                print(f"  {line}")
        if args.py_spy:
            for label, src in trees:
                taken, codes = codes[: WARMUP + args.n], codes[WARMUP + args.n :]
                _py_spy(args, label, src, keys, taken)
    finally:
        if not args.keep:
            _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    print(f"load average {_load()} at the end")


def _py_spy(args: argparse.Namespace, label: str, src: Path, keys: list, codes: list) -> None:
    """Sample a child making only bank transfers, then one making only vouchers (py-spy, from
    outside the process: no profiler in the interpreter), and print where their CPU goes."""
    spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not spy:
        raise SystemExit("--py-spy: no py-spy (pip install py-spy, or set PY_SPY)")
    args.py_spy.mkdir(parents=True, exist_ok=True)
    for v in ("bank", "voucher"):
        path = _write_secret(f"p5profile-{label}.json", {"keys": keys, "codes": codes})
        out = args.py_spy / f"{label}-{v}.txt"
        # --gil: only while holding the GIL (not while waiting for PostgreSQL or Redis, which
        # release it); --nonblocking: the process is not stopped to be sampled.
        prefix = [spy, "record", "--format", "raw", "--rate", "1000", "--gil", "--nonblocking"]
        prefix += ["-o", str(out), "--"]
        child_args = ["--child", "measure", "--data", str(path), "--only", v, "--n", str(args.n)]
        _child(child_args, _env(src, args.redis), prefix=prefix)
        print(f"\n-- {label}, {v}: py-spy, {args.n} requests after a warm-up ({out})")
        print(_spy_summary(out, args.cprofile or 30))


def _spy_summary(path: Path, top: int) -> str:
    """Inclusive and own shares of the samples taken inside the requests, by function."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        names = [re.sub(r" \((.*?):\d+\)$", r" (\1)", f) for f in frames]
        if not any(n.startswith("_Driver.call (") for n in names) or any(
            n.startswith("_find_and_load (") for n in names
        ):
            continue  # start-up, a first request's imports: not what a request costs
        n = int(count)
        total += n
        for name in set(names):
            inclusive[name] = inclusive.get(name, 0) + n
        own[names[-1]] = own.get(names[-1], 0) + n
    if not total:
        return "(no samples inside requests)"
    lines = [f"{total} samples inside requests; inclusive share, top {top}:"]
    for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {n / total:6.1%}  {name.replace(str(ROOT), '')[:140]}")
    lines.append(f"own share, top {top}:")
    for name, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {n / total:6.1%}  {name.replace(str(ROOT), '')[:140]}")
    return "\n".join(lines)


def _callgrind_total(path: Path) -> int:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    return 0


def _report(label: str, results: list[dict], args: argparse.Namespace) -> None:
    rounds = sum(len(r["rounds"]) for r in results)
    print(f"\n== {label}: {args.n} requests per variant and round, {rounds} rounds")
    print(
        "| variant | app CPU ms/request best / median | PostgreSQL CPU ms best / median "
        "| PG statements (Django sees) | PG round trips (messages) | Redis round trips |"
    )
    print("|---|---|---|---|---|---|")
    counts = results[0]["counts"]
    for v in VARIANTS:
        app = [rnd[v]["app_ms"] for res in results for rnd in res["rounds"]]
        db = [rnd[v]["db_ms"] for res in results for rnd in res["rounds"]]
        c = counts[v]
        msgs = ", ".join(f"{k} {n:g}" for k, n in sorted(c["messages"].items()))
        print(
            f"| {v} | {min(app):.3f} / {statistics.median(app):.3f} "
            f"| {min(db):.3f} / {statistics.median(db):.3f} "
            f"| {c['statements']:g} ({c['django_statements']:g}) "
            f"| {c['round_trips']:g} ({msgs}) | {c['redis']:g} |"
        )
    best = {v: min(rnd[v]["app_ms"] for res in results for rnd in res["rounds"]) for v in VARIANTS}
    total = {
        v: min(rnd[v]["app_ms"] + rnd[v]["db_ms"] for res in results for rnd in res["rounds"])
        for v in VARIANTS
    }
    top = (total["bank"] + total["voucher"]) / 2
    app_top = (best["bank"] + best["voucher"]) / 2
    print(
        f"ping / mixed top-up, app CPU: {best['ping'] / app_top:.1%}; "
        f"app + PostgreSQL: {total['ping'] / top:.1%} (best rounds)"
    )
    if args.show:
        for v in ("bank", "voucher"):
            print(f"-- {v}: what the client sent PostgreSQL, first requests (libpq trace)")
            for line in counts[v]["sent"]:
                print("   ", line)
    for res in results:
        if res.get("profile"):
            print(res["profile"])


# ---------------------------------------------------------------- the children


def _emit(result: dict) -> None:
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def _seed(customers: int, codes: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from bench.p5 import seed

    out = VAR / "p5profile-secrets.json"
    result = seed(customers, codes, out)
    _emit({"customers": len(result["customer_ids"]), "codes": result["codes"]})


class _Driver:
    """Requests as gunicorn hands them to the WSGI application, with Locust's headers."""

    def __init__(self, keys: list[str], codes: list[str]) -> None:
        from paydesk.wsgi import application

        self.app = application
        self.keys = keys
        self.codes = iter(codes)
        self.turn = 0

    def _environ(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> dict:
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "python/gevent-http-client-2.3",
            "HTTP_ACCEPT_ENCODING": "gzip, deflate",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return environ

    def call(self, environ: dict) -> tuple[str, bytes]:
        got: list[str] = []
        result = self.app(environ, lambda status, headers, exc_info=None: got.append(status))
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        return got[0], body

    def _pay(self, body: dict, outcome: str) -> None:
        key = self.keys[self.turn % len(self.keys)]
        self.turn += 1
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
        raw = json.dumps(body).encode()
        status, answer = self.call(self._environ("POST", "/api/v1/payments", raw, headers))
        if not status.startswith("201") or json.loads(answer).get("outcome") != outcome:
            raise SystemExit(f"{body['method']}: {status} {answer[:300]!r}")

    def bank(self) -> None:
        self._pay({"method": "bank_transfer", "amount": "25.00", "currency": "USD"}, "pending")

    def voucher(self) -> None:
        code = next(self.codes)
        self._pay({"method": "voucher", "code": code, "currency": "USD"}, "completed")

    def ping(self) -> None:
        status, answer = self.call(self._environ("GET", "/api/v1/ping", b"", {}))
        if not status.startswith("200") or json.loads(answer) != {"status": "ok"}:
            raise SystemExit(f"ping: {status} {answer[:300]!r}")


def _backend_ns(pid: int) -> int:
    """CPU time of the PostgreSQL backend `pid` so far (ns; the server runs on this machine)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def _backend_pid() -> int:
    from django.db import connection

    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _counts(driver: _Driver, variant: str) -> dict:
    """Per request: PostgreSQL round trips, statements and protocol messages (libpq's trace),
    Redis round trips (redis-py's sends), then — on other requests, since fastsql sends its
    statements through Django's cursor, unprepared, while a wrapper watches — the statements
    Django's `execute_wrapper` sees (the ledger's hot ones go around it)."""
    import redis.connection
    from django.db import connection
    from psycopg import pq

    sends = 0
    original = redis.connection.AbstractConnection.send_packed_command

    def send(self, command, check_health=True):  # noqa: ANN001, ANN202 — redis-py's method
        nonlocal sends
        sends += 1
        return original(self, command, check_health)

    _backend_pid()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        redis.connection.AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
        try:
            for _ in range(COUNTED):
                getattr(driver, variant)()
        finally:
            redis.connection.AbstractConnection.send_packed_command = original  # type: ignore[method-assign]
            pgconn.untrace()
        trace.seek(0)
        messages: dict[str, float] = {}
        sent: list[str] = []  # what the client sent: the round trips' statements, in order
        for line in trace:
            parts = line.rstrip("\n").split("\t")
            if len(parts) > 2 and parts[0] == "F":
                messages[parts[2]] = messages.get(parts[2], 0) + 1
                if parts[2] in ("Query", "Parse", "Bind", "Sync") and len(sent) < 60:
                    sent.append(f"{parts[2]} {' '.join(parts[3:])[:150]}")

    statements = 0

    def count(execute, sql, params, many, context):  # noqa: ANN001, ANN202 — Django's hook
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for _ in range(COUNTED):
            getattr(driver, variant)()
    per = {k: v / COUNTED for k, v in messages.items()}
    return {
        "django_statements": statements / COUNTED,
        "statements": per.get("Query", 0) + per.get("Execute", 0),
        "round_trips": per.get("Query", 0) + per.get("Sync", 0),
        "messages": per,
        "redis": sends / COUNTED,
        "sent": sent,
    }


def _measure(args: argparse.Namespace) -> None:
    import django

    django.setup()
    data = json.loads(args.data.read_text())
    args.data.unlink()
    driver = _Driver(data["keys"], data["codes"])
    if args.only:  # sampled from outside (--py-spy): a warm-up, then only this variant
        step = getattr(driver, args.only)
        for _ in range(WARMUP + args.n):
            step()
        _emit({})
        return
    for _ in range(WARMUP):
        for v in VARIANTS:
            getattr(driver, v)()
    if args.callgrind:  # the dumps: start-up + warm-up, then each variant's block
        # Without the cyclic garbage collector: a full collection (millions of instructions)
        # lands in one block or another as allocations add up, and moved a variant's count
        # by ~10 % between runs of the same code.
        gc.collect()
        gc.disable()
        os.getppid()
        for v in VARIANTS:
            for _ in range(args.callgrind):
                getattr(driver, v)()
            os.getppid()
        _emit({})
        return
    rounds = []
    for r in range(args.rounds):
        order = VARIANTS[r % 3 :] + VARIANTS[: r % 3]
        got = {}
        for v in order:
            step = getattr(driver, v)
            pid = _backend_pid()
            db0, cpu0, wall0 = _backend_ns(pid), time.process_time(), time.perf_counter()
            for _ in range(args.n):
                step()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            if _backend_pid() != pid:
                raise SystemExit("the database connection changed during a block")
            got[v] = {
                "app_ms": cpu * 1000 / args.n,
                "db_ms": (_backend_ns(pid) - db0) / 1e6 / args.n,
                "wall_ms": wall * 1000 / args.n,
            }
        rounds.append(got)
    counts = {v: _counts(driver, v) for v in VARIANTS}
    profile = ""
    if args.cprofile:
        profile = _profiled(driver, args.n, args.cprofile)
    _emit({"rounds": rounds, "counts": counts, "profile": profile})


def _profiled(driver: _Driver, n: int, top: int) -> str:
    import cProfile
    import pstats

    out = io.StringIO()
    for v in ("bank", "voucher"):
        prof = cProfile.Profile(time.process_time)  # CPU, not the waits for the database
        step = getattr(driver, v)
        prof.enable()
        for _ in range(n):
            step()
        prof.disable()
        stats = pstats.Stats(prof, stream=out)
        out.write(f"\n-- cProfile, {n} {v} requests: own time (tottime), top {top}\n")
        stats.sort_stats("tottime").print_stats(top)
        out.write(f"-- {v}: cumulative, paydesk's own functions, top {top}\n")
        stats.sort_stats("cumulative").print_stats("paydesk", top)
    text = out.getvalue()
    return re.sub(r"^\s+\d+ function calls.*$", "", text, flags=re.M)


if __name__ == "__main__":
    main()
