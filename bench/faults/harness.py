"""Shared by the fault scripts and the load script: private services, child processes,
cleanup on any exit, the email sink and the printed figures.

Everything a script starts is owned by one ``Stack``: each child runs in its own process
group (a Celery worker's pool children die with it), a private Redis is a child like the
others, a private PostgreSQL cluster is a ``postgres`` child run as the postgres user in
a temporary directory. ``Stack.close`` ends them all and removes the temporary
directories; it runs on a normal exit, an exception, SIGTERM and Ctrl-C (atexit). Only a
SIGKILL of the script itself leaves them behind (``/tmp/kamen-<script>-*``).

The shared PostgreSQL on 5432 and the shared Redis on 6379 are never stopped or
restarted: scripts that stop a service start their own (Redis on 6391-6395, PostgreSQL on
5439). Nothing here talks to any address but 127.0.0.1.
"""

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PY = str(BIN / "python")
CELERY = str(BIN / "celery")
GUNICORN = str(BIN / "gunicorn")


def _pg_bin() -> Path:
    """The newest PostgreSQL server binaries Debian installed (``PG_BIN`` overrides)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
SHARED_PG = "postgres://postgres@127.0.0.1:5432"
RESULT_PREFIX = "RESULT "  # bin/verify reads the line that starts with it
SECRET = "fault-and-load-scripts-only-" + "x" * 40

# Tables whose rows come from migrations (schedules, default policies, roles): kept when a
# script empties its database, so a run needs no migration after the first.
KEEP_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "escalation_deadlinepolicy",
}


STARTED = time.monotonic()


def say(message: str) -> None:
    """A progress line, stamped with the seconds since the script started."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", flush=True)


# --- processes ----------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def send(self, sig: int) -> None:
        """The process itself (not its group): a Celery worker's main process, say."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def group_pids(self) -> list[int]:
        """Every live process of the child's group (its pool children included)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) == self.pid:
                    pids.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
        return pids

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the group, then SIGKILL to whatever is left of it."""
        if self.alive():
            self.kill_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        self.kill_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class Stack:
    """What one script started; ``close`` ends and removes all of it, on any exit."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.root = Path(tempfile.mkdtemp(prefix=f"kamen-{name}-"))
        self.children: list[Child] = []
        self.supervisors: list[Supervisor] = []
        self._closers: list[Callable[[], None]] = []
        self._closed = False
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # atexit then runs close()

    def path(self, name: str) -> Path:
        target = self.root / name
        target.mkdir(parents=True, exist_ok=True)
        return target

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def spawn(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        user: str | None = None,
        cwd: Path = ROOT,
    ) -> Child:
        log = self.root / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=user,
            group=user,
        )
        handle.close()
        child = Child(name, popen, log)
        self.children.append(child)
        return child

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for supervisor in self.supervisors:
            supervisor.stop()
        for child in reversed(self.children):
            child.stop(timeout=5)
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                closer()
        if os.environ.get("KEEP_TEMP"):
            print(f"(kept {self.root})", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


class Supervisor:
    """Starts a child again when it exits, as a process manager does (compose's ``restart:
    unless-stopped``, systemd's ``Restart=always``); keeps the last error line of each exit.

    ``start(n)`` starts the n-th generation (0 first) and returns it.
    """

    def __init__(self, stack: Stack, start: Callable[[int], Child]) -> None:
        self._start = start
        self.child = start(0)
        self.exits: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        stack.supervisors.append(self)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            if self.child.alive():
                continue
            errors = [
                line.strip()
                for line in self.child.text().splitlines()
                if "CRITICAL" in line or "Error:" in line
            ]
            self.exits.append(errors[-1] if errors else f"exit {self.child.popen.returncode}")
            self.child = self._start(len(self.exits))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_until(
    check: Callable[[], bool], *, timeout: float, interval: float = 0.2, what: str = ""
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # a service still starting raises its own errors
            pass
        time.sleep(interval)
    if what:
        say(f"gave up waiting for {what} after {timeout:.0f} s")
    return False


# --- Redis --------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the script's own on ``port`` (6391-6395): it may be stopped."""

    def __init__(self, stack: Stack, port: int) -> None:
        if not port_free(port):
            raise SystemExit(
                f"port {port} is taken: another run's Redis? (this script uses its own there)"
            )
        self.stack, self.port = stack, port
        self.dir = stack.path(f"redis-{port}")
        self.child: Child | None = None
        self.starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.starts += 1
        self.child = self.stack.spawn(
            f"redis-{self.port}-{self.starts}",
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            env=dict(os.environ),
        )
        if not wait_until(self.up, timeout=10):
            raise SystemExit(f"redis on {self.port} did not start:\n{self.child.text()}")

    def up(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.port, socket_connect_timeout=0.3).ping())

    def stop(self) -> None:
        """SIGTERM, as ``systemctl stop redis`` does; nothing is saved (no persistence)."""
        if self.child is not None:
            self.child.stop(timeout=10)
            self.child = None


# --- PostgreSQL ---------------------------------------------------------------------------


class PrivateCluster:
    """A PostgreSQL cluster of the script's own (port 5439, trust auth, under /tmp) that it
    restarts; removed on close. The postmaster is a child run as the postgres user."""

    def __init__(self, stack: Stack, port: int = 5439) -> None:
        if not port_free(port):
            raise SystemExit(f"port {port} is taken: another run's private PostgreSQL?")
        import pwd

        self.stack, self.port = stack, port
        self.base = Path(tempfile.mkdtemp(prefix=f"kamen-pg{port}-"))
        pw = pwd.getpwnam("postgres")
        os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self.data = self.base / "data"
        self.child: Child | None = None
        self.starts = 0
        stack.on_close(self._remove)
        subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user="postgres",
            group="postgres",
            cwd=self.base,
        )

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.starts += 1
        self.child = self.stack.spawn(
            f"postgres-{self.starts}",
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.base),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ],
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            user="postgres",
            cwd=self.base,
        )
        if not wait_until(self.up, timeout=60):
            raise SystemExit(f"private PostgreSQL did not start:\n{self.child.text()[-2000:]}")

    def up(self) -> bool:
        import psycopg2

        psycopg2.connect(self.url("postgres"), connect_timeout=1).close()
        return True

    def stop(self, mode: str = "fast") -> float:
        """``fast`` (SIGINT: sessions ended, clean shutdown) or ``immediate`` (SIGQUIT: a
        crash; the next start replays the WAL). Returns the seconds it took."""
        started = time.monotonic()
        if self.child is not None:
            self.child.send(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
            try:
                self.child.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.child.kill_group()
            self.child = None
        return time.monotonic() - started

    def _remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def database_create(url: str) -> None:
    """CREATE DATABASE if it is missing (on the server ``url`` names)."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


# --- Django -------------------------------------------------------------------------------


def service_env(
    *,
    database_url: str,
    broker_url: str,
    cache_url: str = "",
    mail_dir: Path | None = None,
    media_root: Path | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every process of a run: production settings with HTTPS off
    (plain HTTP on 127.0.0.1), the run's database, Redis, email sink and evidence folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "CELERY_", "REDIS_URL", "EMAIL_", "API_THROTTLE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": SECRET,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "SECURE_HSTS_PRELOAD": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "REDIS_URL": cache_url,
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if mail_dir is not None:
        env["EMAIL_URL"] = f"filemail:///{mail_dir}"  # four slashes: an absolute path
    if media_root is not None:
        env["MEDIA_ROOT"] = str(media_root)
        env["STATIC_ROOT"] = str(media_root.parent / "static")
    env.update(extra or {})
    return env


def django_up(env: dict[str, str]) -> None:
    """Django in this process with the run's environment, the database migrated."""
    os.environ.clear()
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_empty() -> None:
    """TRUNCATE every table but those migrations fill (KEEP_TABLES, beat schedules)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [
            t
            for (t,) in cur.fetchall()
            if t not in KEEP_TABLES and not t.startswith("django_celery_beat")
        ]
        cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


def beat_every(seconds: int) -> None:
    """The sweep's beat entry every ``seconds``; the other entries out of the way."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.exclude(task="casework.sweep_overdue").update(enabled=False)
    PeriodicTask.objects.filter(task="casework.sweep_overdue").update(
        interval=every, crontab=None, enabled=True, last_run_at=None, total_run_count=0
    )
    PeriodicTask.objects.filter(task="casework.sweep_overdue").first().save()  # bumps "changed"


def beat_restore() -> None:
    """Put the schedule back as the migrations made it (every minute, all enabled)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update(enabled=True)
    PeriodicTask.objects.filter(task="casework.sweep_overdue").update(interval=minute)


def celery_worker(
    stack: Stack, name: str, env: dict[str, str], *, concurrency: int = 2, queues: str = ""
) -> Child:
    argv = [
        CELERY,
        "-A",
        "bench.faults.faultapp",
        "worker",
        "-n",
        f"{name}@%h",
        "-P",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    if queues:
        argv += ["-Q", queues]
    return stack.spawn(name, argv, env=env)


def celery_beat(stack: Stack, name: str, env: dict[str, str]) -> Child:
    return stack.spawn(
        name,
        [
            CELERY,
            "-A",
            "bench.faults.faultapp",
            "beat",
            "--loglevel",
            "INFO",
            "--max-interval",
            "1",
            "--pidfile=",
            "-s",
            str(stack.path(name) / "schedule"),
        ],
        env=env,
    )


def worker_ready(child: Child) -> bool:
    return " ready." in child.text()


def pool_children(child: Child) -> list[int]:
    """The prefork pool's processes of a Celery worker (its group, less itself)."""
    return [pid for pid in child.group_pids() if pid != child.pid]


# --- seeding ------------------------------------------------------------------------------


def complainants(n: int, *, prefix: str, password: str = "", verified: bool = False) -> list[Any]:
    """``n`` complainant accounts, fast: one password hash shared by all of them."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    hashed = make_password(password) if password else "!"
    users = User.objects.bulk_create(
        [
            User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password=hashed)
            for i in range(1, n + 1)
        ]
    )
    if verified:
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
    return users


def platform_get() -> Any:
    from complaints.models import Platform

    platform, _ = Platform.objects.get_or_create(
        name="演练卡盟", defaults={"complaint_email": "kefu@drill.example.cn"}
    )
    return platform


def _django_child() -> None:
    """A seeding process: Django set up from the environment the script built."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _cases_file_part(user_ids: list[int], numbers: list[int], filed_at: str, tag: str) -> list[int]:
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils.dateparse import parse_datetime

    from casework import actions
    from complaints import services
    from complaints.choices import DemandKind, PaymentMethod, ProblemType, ProductKind

    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}
    moment = parse_datetime(filed_at)
    assert moment is not None
    platform = platform_get()
    ids = []
    for i in numbers:
        user = users[user_ids[i % len(user_ids)]]
        order = services.order_create(
            owner=user,
            platform=platform,
            order_number=f"{tag}-{i}",
            product_name="王者荣耀 点券 600",
            product_kind=ProductKind.TOP_UP,
            amount=Decimal("60.00"),
            paid_at=moment - timedelta(hours=2),
            payment_method=PaymentMethod.ALIPAY,
        )
        case = actions.case_file(
            complainant=user,
            order=order,
            problem_type=ProblemType.LOST_ORDER_UNSYNCED,
            description=f"付款成功但订单消失,充值未到账。[{tag}-{i}]",
            demand_kind=DemandKind.REFUND,
            route=False,
            now=moment,
        )
        ids.append(case.pk)
    from django.db import connection

    connection.close()
    return ids


def cases_file(
    users: Sequence[Any], n: int, *, filed_ago_hours: float, tag: str, procs: int = 4
) -> list[int]:
    """``n`` cases filed through the one filing action (``casework.actions.case_file``)
    ``filed_ago_hours`` ago, so their platform clock has run out when that is over 24 h;
    the description carries ``[tag-i]``. ``procs`` processes file in parallel (each
    filing is some forty round trips to the database)."""
    import multiprocessing
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    platform_get()
    filed_at = (timezone.now() - timedelta(hours=filed_ago_hours)).isoformat()
    user_ids = [u.pk for u in users]
    connection.close()
    # Fresh interpreters, not forks: a fork copies whatever lock another thread of this
    # process held at that moment (a logging or connection-pool lock) and can hang on it.
    with multiprocessing.get_context("spawn").Pool(procs, initializer=_django_child) as pool:
        parts = pool.starmap(
            _cases_file_part,
            [(user_ids, list(range(p, n, procs)), filed_at, tag) for p in range(procs)],
        )
    return sorted(pk for part in parts for pk in part)


# --- the email sink -----------------------------------------------------------------------

MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)\s*$", re.MULTILINE | re.IGNORECASE)


def mail_ids(mail_dir: Path) -> Counter[str]:
    """Message-IDs of every message the filebased backend wrote, with how often each came."""
    seen: Counter[str] = Counter()
    if mail_dir.exists():
        for path in mail_dir.iterdir():
            for match in MESSAGE_ID.finditer(path.read_bytes()):
                seen[match.group(1).decode()] += 1
    return seen


def outbox_message_ids() -> dict[str, str]:
    """The Message-ID each outbox row is sent with (fixed per dedupe key), to its key."""
    from notifications.models import OutboxEmail
    from notifications.outbox import _message_id

    return {
        _message_id(key): key for key in OutboxEmail.objects.values_list("dedupe_key", flat=True)
    }


def repeats(sink: Counter[str], fault_dir: Path, killed: set[int]) -> tuple[int, list[str]]:
    """Messages received more than once: how many came again after a kill, and a line for
    each other repeat (its dedupe key and the pids of its attempts).

    The outbox sends exactly once where the receiver lets it: a retry of a row whose
    acceptance was recorded records it sent without sending. What no sender can close is
    a process killed after the receiver took the message and before the row recorded
    it; the retry then sends the same message again, with the same Message-ID, for the
    receiver to drop. A repeat counts as "after a kill" only when the attempt before it
    was the last one a killed process made (the hooks log every attempt with its pid):
    a killed process can leave unrecorded only the send it was in."""
    from bench.faults import hooks

    by_message = outbox_message_ids()
    attempts: dict[str, list[int]] = {}
    when: dict[str, list[str]] = {}
    last_key: dict[int, str] = {}
    for entry in hooks.sends(fault_dir):
        attempts.setdefault(entry["key"], []).append(int(entry["pid"]))
        when.setdefault(entry["key"], []).append(f"{entry['pid']}#{entry['attempt']}@{entry['at']}")
        last_key[int(entry["pid"])] = entry["key"]
    after_kill, otherwise = 0, []
    for message_id, count in sink.items():
        if count < 2:
            continue
        key = by_message.get(message_id, "")
        pids = attempts.get(key, [])
        interrupted = sum(1 for pid in pids[:-1] if pid in killed and last_key.get(pid) == key)
        after_kill += min(interrupted, count - 1)
        if count - 1 > interrupted:
            attempted = ", ".join(when.get(key, []))
            otherwise.append(f"{key or message_id}: received {count} times; attempts {attempted}")
    return after_kill, otherwise


# --- figures ------------------------------------------------------------------------------


@dataclass
class Report:
    """Checks with their goal and figure, printed as a table and as one RESULT line."""

    script: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, figure: Any, goal: str, ok: bool) -> bool:
        self.checks.append({"check": name, "goal": goal, "figure": figure, "ok": bool(ok)})
        return bool(ok)

    def equal(self, name: str, figure: Any, expected: Any) -> bool:
        return self.check(name, figure, f"= {expected}", figure == expected)

    def zero(self, name: str, figure: int) -> bool:
        return self.check(name, figure, "0", figure == 0)

    def note(self, **figures: Any) -> None:
        self.figures.update(figures)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks)

    def print(self) -> int:
        print()
        for key, value in self.figures.items():
            print(f"  {key}: {value}")
        print()
        width = max((len(c["check"]) for c in self.checks), default=10)
        print(f"  {'check'.ljust(width)}  {'goal':>12}  {'figure':>12}  result")
        for c in self.checks:
            mark = "pass" if c["ok"] else "FAIL"
            print(f"  {c['check'].ljust(width)}  {c['goal']:>12}  {c['figure']!s:>12}  {mark}")
        print()
        print(
            RESULT_PREFIX
            + json.dumps(
                {"script": self.script, "ok": self.ok, "checks": self.checks},
                ensure_ascii=False,
                default=str,
            ),
            flush=True,
        )
        return 0 if self.ok else 1
