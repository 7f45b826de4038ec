"""Pause points for the fault scripts, installed by wrapping functions in the process
that runs them (a sweeper, a Celery pool child). The portal's code has no hook of its own.

A script arms points by writing their names to ``$FAULT_DIR/armed`` (one a line). The
first process that reaches an armed point claims it (``<point>.fired``, created
exclusively, holds its pid and what it was doing), then sleeps until the script kills it.
Every other process, and every later pass, goes straight on.

    sweep_mid_batch      inside a sweep batch's transaction, after the engine wrote the
                         escalations and before the outbox rows and the commit
    sweep_after_commit   just after a sweep batch committed (its on_commit callbacks)
    outbox_before_send   an email claimed (lease taken, committed), not yet sent

Armed or not, every email attempt is written, before it is sent, to ``$FAULT_DIR/sends``
(pid, dedupe key, attempt, time; one line each), so a script can tell which process sent a
message it received twice (``records.repeats``).
"""

import json
import os
import time
from pathlib import Path
from typing import Any

PAUSE_SECONDS = 600.0


def _dir() -> Path | None:
    value = os.environ.get("FAULT_DIR")
    return Path(value) if value else None


def armed(point: str) -> bool:
    directory = _dir()
    if directory is None:
        return False
    try:
        return point in (directory / "armed").read_text().split()
    except FileNotFoundError:
        return False


def arm(directory: Path, *points: str) -> None:
    (directory / "armed").write_text("\n".join(points) + "\n")


def fired(directory: Path, point: str) -> dict[str, Any] | None:
    path = directory / f"{point}.fired"
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    return json.loads(text) if text.strip() else None


def pause(point: str, **info: Any) -> None:
    directory = _dir()
    if directory is None or not armed(point):
        return
    try:
        fd = os.open(directory / f"{point}.tmp-{os.getpid()}", os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError:
        return
    os.write(fd, json.dumps({"pid": os.getpid(), "at": time.time(), **info}).encode())
    os.close(fd)
    try:
        # link() fails if the name exists: one process wins the point.
        os.link(directory / f"{point}.tmp-{os.getpid()}", directory / f"{point}.fired")
    except FileExistsError:
        return
    finally:
        os.unlink(directory / f"{point}.tmp-{os.getpid()}")
    time.sleep(PAUSE_SECONDS)


def sending(key: str, attempt: int) -> None:
    directory = _dir()
    if directory is None:
        return
    entry = {"pid": os.getpid(), "key": key, "attempt": attempt, "at": round(time.time(), 3)}
    line = json.dumps(entry) + "\n"
    fd = os.open(directory / "sends", os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())  # one write in append mode: lines never interleave
    finally:
        os.close(fd)


def sends(directory: Path) -> list[dict[str, Any]]:
    """Every email attempt the hooked processes made, in the order they were written."""
    try:
        text = (directory / "sends").read_text()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _task_id() -> str:
    from celery import current_task

    request = getattr(current_task, "request", None)
    return str(getattr(request, "id", "") or "")


def install() -> None:
    """Wrap the engine's escalation and the delivery loop's attempt (Django set up)."""
    from django.db import transaction

    from escalation import engine
    from notifications import delivery

    escalate = engine.escalate_claimed
    attempt = delivery._attempt

    def escalate_claimed(**kwargs: Any) -> Any:
        records = escalate(**kwargs)
        if records and kwargs.get("due_only", True):
            info = {"task": _task_id(), "case_ids": sorted({r.case_id for r in records})}
            pause("sweep_mid_batch", **info)
            transaction.on_commit(lambda: pause("sweep_after_commit", **info))
        return records

    def attempt_send(channel: Any, row: Any, now: Any) -> Any:
        if channel.name == "outbox":
            sending(row.dedupe_key, row.attempts)
            pause("outbox_before_send", task=_task_id(), row=row.pk, key=row.dedupe_key)
        return attempt(channel, row, now)

    engine.escalate_claimed = escalate_claimed
    delivery._attempt = attempt_send
