"""The services a run starts for itself: a private Redis, a private PostgreSQL cluster, the
run's database, and Django, Celery workers and beats on them."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from .processes import (
    CELERY,
    KEEP_TABLES,
    PG_BIN,
    ROOT,
    SECRET,
    Child,
    Stack,
    port_free,
    wait_until,
)

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
