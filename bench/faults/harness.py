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

The parts: processes.py (paths, ``Child``, ``Stack``, ``Supervisor``), servers.py (private
Redis and PostgreSQL, the run's database, Django, Celery workers and beats) and
records.py (seeding, the email sink, the figures); scripts read them through this module
(``from bench.faults import harness as h``).
"""

from .processes import (
    BIN,
    GUNICORN,
    PY,
    ROOT,
    SHARED_PG,
    Child,
    Stack,
    Supervisor,
    say,
    wait_until,
)
from .records import (
    Report,
    cases_file,
    complainants,
    mail_ids,
    outbox_message_ids,
    platform_get,
    repeats,
    stages_make_due,
)
from .servers import (
    PrivateCluster,
    PrivateRedis,
    beat_every,
    beat_restore,
    celery_beat,
    celery_worker,
    database_create,
    database_empty,
    django_up,
    pool_children,
    service_env,
    worker_ready,
)

__all__ = [
    "BIN",
    "GUNICORN",
    "PY",
    "ROOT",
    "SHARED_PG",
    "Child",
    "PrivateCluster",
    "PrivateRedis",
    "Report",
    "Stack",
    "Supervisor",
    "beat_every",
    "beat_restore",
    "cases_file",
    "celery_beat",
    "celery_worker",
    "complainants",
    "database_create",
    "database_empty",
    "django_up",
    "mail_ids",
    "outbox_message_ids",
    "platform_get",
    "pool_children",
    "repeats",
    "say",
    "service_env",
    "stages_make_due",
    "wait_until",
    "worker_ready",
]
