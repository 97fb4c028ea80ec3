"""Pieces every benchmark reuses: a gunicorn server, wrk, the civic environment, the results table.

A benchmark module builds an environment with `civic_env()`, prepares the database once with
`prepare_database()`, serves a WSGI application with `serve()` and loads it with `wrk()`:

    env = civic_env(workdir)
    prepare_database(env)
    with serve("civic.wsgi", env) as base_url:
        check_ok(base_url + "/")
        result = wrk(base_url + "/", seconds=10)

Everything stays on 127.0.0.1: `serve()` binds there, and `wrk()` and `check_ok()` refuse any
other host, so a mistyped URL can never load a real server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
LOCALHOST = "127.0.0.1"

DATABASE_URL = f"postgres://postgres@{LOCALHOST}:5432/civic_bench"
REDIS_URL = f"redis://{LOCALHOST}:6379/15"
CELERY_BROKER_URL = f"redis://{LOCALHOST}:6379/14"


class BenchError(RuntimeError):
    """A benchmark could not run; the message says what to do."""


def bench_seconds() -> int:
    return int(os.environ.get("BENCH_SECONDS", "10"))


def warmup_seconds() -> int:
    return int(os.environ.get("BENCH_WARMUP_SECONDS", "2"))


def _require_localhost(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host != LOCALHOST:
        raise BenchError(f"benchmarks only target {LOCALHOST}, not {host!r} ({url})")


# Environments -----------------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    """A clean environment for a server: nothing from the caller's shell leaks into a figure."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def civic_env(workdir: Path, **overrides: str) -> dict[str, str]:
    """civic set up as in production (DEBUG off, PostgreSQL, Redis), writing only under workdir."""
    env = base_env()
    env.update(
        DJANGO_SETTINGS_MODULE="civic.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=LOCALHOST,
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=CELERY_BROKER_URL,
        CIVIC_ALLOW_FILE_EMAIL="1",
        ANYMAIL_WEBHOOK_SECRET="bench:" + secrets.token_urlsafe(16),
        CIVIC_VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "staticfiles"),
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        _require_localhost(env[name])
    return env


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run `manage.py` with the given environment, output captured."""
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise BenchError(
            f"manage.py {' '.join(args)} failed (exit {result.returncode}):\n"
            + "\n".join((result.stderr or result.stdout).splitlines()[-25:])
        )
    return result


def has_command(name: str, *, env: dict[str, str]) -> bool:
    return manage("help", name, env=env, check=False).returncode == 0


# Database and cache -----------------------------------------------------------------------------


def _database_name(database_url: str) -> str:
    _require_localhost(database_url)
    return urllib.parse.urlsplit(database_url).path.lstrip("/")


@contextlib.contextmanager
def _maintenance_connection(database_url: str):
    """An autocommit connection to the server's `postgres` database, to create or drop another."""
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as connection:
        yield connection


def recreate_database(database_url: str) -> None:
    """Drop and create the bench database, so that every run measures the same seeded data."""
    from psycopg import sql

    name = _database_name(database_url)
    if not name.endswith("_bench"):
        raise BenchError(f"refusing to drop {name!r}: only a database named *_bench is recreated")
    with _maintenance_connection(database_url) as connection:
        identifier = sql.Identifier(name)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


def settle_writes(database_url: str) -> None:
    """Write what a bulk set-up left in memory to the disk before anything is measured: a
    CHECKPOINT, then the kernel's own dirty pages (os.sync). A real server's voters were written
    long before their spike; a bench's were written seconds before it, and the kernel writes them
    back from 30 s later, in the middle of the run (800 MB of other writes going to the disk during
    a voting run here took its p99 from about 110 ms to about 2 s)."""
    with _maintenance_connection(database_url) as connection:
        connection.execute("CHECKPOINT")
    os.sync()


def ensure_database(database_url: str) -> bool:
    """Create the database if it is missing; True if it was created."""
    from psycopg import sql

    name = _database_name(database_url)
    with _maintenance_connection(database_url) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        exists = connection.execute(query, [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return not exists


def flush_redis(url: str) -> None:
    """Empty one Redis database (the bench's own numbered one), so that caches start cold."""
    import redis

    _require_localhost(url)
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def prepare_civic(env: dict[str, str], *, fresh: bool = True) -> list[str]:
    """Database, migrations, demo data and static files for a civic server; returns notes."""
    notes: list[str] = []
    if fresh:
        recreate_database(env["DATABASE_URL"])
    else:
        ensure_database(env["DATABASE_URL"])
    flush_redis(env["REDIS_URL"])
    manage("migrate", "--noinput", env=env)
    if has_command("seed_demo", env=env):
        if fresh:
            manage("seed_demo", env=env)
            notes.append("seeded with manage.py seed_demo")
        else:
            notes.append("reused the database as it was (BENCH_REUSE_DB=1); seed_demo not rerun")
    else:
        notes.append("manage.py seed_demo does not exist yet: the home page was measured EMPTY")
    if not (BASE_DIR / "static" / "build").is_dir():
        notes.append(
            "static/build is missing: run `bash scripts/build-assets.sh` first, or pages that "
            "reference the built stylesheet will fail under the manifest storage"
        )
    manage("collectstatic", "--noinput", env=env)
    return notes


# Serving ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCALHOST, 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"gunicorn exited with {process.returncode} before listening:\n{_tail(log_path)}"
            )
        with contextlib.suppress(OSError), socket.create_connection((LOCALHOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not listen on {LOCALHOST}:{port} within {timeout}s")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextlib.contextmanager
def serve(
    wsgi_module: str,
    env: dict[str, str],
    *,
    workers: int = 2,
    log_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Serve a WSGI module with gunicorn (sync workers) on a free port; yields the base URL.

    The server is stopped when the block ends, however it ends. Its output goes to a log file,
    printed when it fails to start; `SERVER_LOGS[base_url]` is its path.
    """
    application = wsgi_module if ":" in wsgi_module else f"{wsgi_module}:application"
    port = free_port()
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="civic-bench-"))
    log_path = log_dir / f"gunicorn-{application.replace(':', '-')}-{port}.log"
    command = [
        sys.executable, "-m", "gunicorn", application,
        "--bind", f"{LOCALHOST}:{port}",
        "--workers", str(workers),
        "--worker-class", "sync",
        "--chdir", str(BASE_DIR),
        "--log-level", "warning",
        "--timeout", "60",
        *extra_args,
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://{LOCALHOST}:{port}"
    SERVER_LOGS[base_url] = log_path
    try:
        _wait_for_port(port, process, log_path, timeout=30)
        yield base_url
    finally:
        stop(process)


SERVER_LOGS: dict[str, Path] = {}


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (gunicorn's graceful stop of master and workers), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, timeout: float = 30) -> tuple[int, bytes]:
    """One GET, redirects not followed; returns (status, body) whatever the status."""
    _require_localhost(url)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_ok(url: str) -> None:
    """Refuse to load a URL that does not answer 200: loading error pages measures nothing."""
    status, body = fetch(url)
    if status != 200:
        detail = body[:500].decode(errors="replace")
        parts = urllib.parse.urlsplit(url)
        log_path = SERVER_LOGS.get(f"{parts.scheme}://{parts.netloc}")
        log = f"\nserver log:\n{_tail(log_path)}" if log_path else ""
        raise BenchError(f"GET {url} answered {status}, not 200:\n{detail}{log}")


# Load -------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when running as root, else says how to."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], check=False)
            subprocess.run(install, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError("wrk is not installed: run `sudo apt-get install -y wrk` and try again")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests/sec, p50 and p99 in ms, non-2xx/3xx and socket errors from `wrk --latency`."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+\w+)", output, re.MULTILINE)
    if not (rps and p50 and p99 and total):
        raise BenchError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = dict(
        zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
    ) if sockets else {"connect": 0, "read": 0, "write": 0, "timeout": 0}  # fmt: skip
    non_2xx_count = int(non_2xx.group(1)) if non_2xx else 0
    return {
        "requests_per_second": float(rps.group(1)),
        "p50_ms": _milliseconds(p50.group(1)),
        "p99_ms": _milliseconds(p99.group(1)),
        "requests": int(total.group(1)),
        "non_2xx_3xx": non_2xx_count,
        "socket_errors": socket_errors,
        "errors": non_2xx_count + sum(socket_errors.values()),
    }


def wrk(
    url: str,
    *,
    seconds: int | None = None,
    threads: int = 2,
    connections: int = 16,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
) -> dict:
    """Load one URL with `wrk -tN -cN -dNs --latency` and return the parsed figures.

    `script` is a wrk Lua script (for POSTs or several paths); `script_args` follow `--`.
    """
    _require_localhost(url)
    seconds = bench_seconds() if seconds is None else seconds
    command = [
        ensure_wrk(),
        f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        *(["-s", str(script)] if script else []),
        url,
        *(["--", *script_args] if script_args else []),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"wrk failed (exit {result.returncode}):\n{result.stderr}{result.stdout}")
    figures = parse_wrk(result.stdout)
    figures["command"] = " ".join(command[1:])
    return figures


def count_queries(path: str, *, env: dict[str, str]) -> dict:
    """SQL queries of one anonymous GET of `path` on a warm process (the second of two requests)."""
    code = (
        "import json\n"
        "from django.db import connection\n"
        "from django.test import Client\n"
        "from django.test.utils import CaptureQueriesContext\n"
        f"client = Client(HTTP_HOST={LOCALHOST!r}, raise_request_exception=False)\n"
        f"client.get({path!r})\n"
        "with CaptureQueriesContext(connection) as queries:\n"
        f"    response = client.get({path!r})\n"
        "print(json.dumps({'status': response.status_code, 'queries': len(queries)}))\n"
    )
    result = manage("shell", "--no-imports", "-c", code, env=env, check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        return {"status": None, "queries": None, "error": (result.stderr or "")[-2000:]}
    return json.loads(lines[-1])


# Results ----------------------------------------------------------------------------------------


def machine() -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=BASE_DIR, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "commit": commit or None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def _cell(value, spec: str) -> str:
    width = int(re.match(r"\d+", spec).group())
    return "-".rjust(width) if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    """name, req/s, p50 ms, p99 ms, errors (non-2xx/3xx + socket errors), queries per request."""
    header = f"{'name':<28} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.get("failed"):
            print(f"{row['name']:<28} FAILED: {row['failed'].splitlines()[0][:70]}")
            continue
        print(
            f"{row['name']:<28} {_cell(row['requests_per_second'], '10.1f')} "
            f"{_cell(row['p50_ms'], '9.2f')} {_cell(row['p99_ms'], '9.2f')} "
            f"{_cell(row['errors'], '8d')} {_cell(row.get('queries'), '8d')}"
        )
