"""The fault and load scripts' paths and child processes: one ``Stack`` owns what a script
starts and ends it on any exit (see harness.py)."""

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
