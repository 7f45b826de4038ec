"""What ``/healthz`` reports: each dependency's state, and whether to take traffic.

The database is the one dependency the portal cannot work without: 503 when it fails,
so a load balancer stops sending requests. The cache and the broker degrade (throttles
fail open, emails wait in the outbox for the beat sweep), so they are reported as
``degraded`` with 200: the portal still serves.
"""

import logging
from typing import Any

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # every backend raises its own errors
        logger.exception("health: database unreachable")
        return False


def _cache() -> bool:
    healthy = getattr(cache, "healthy", None)
    if healthy is not None:
        return healthy()
    try:
        cache.set("healthz", "1", timeout=10)
        return cache.get("healthz") == "1"
    except Exception:
        logger.exception("health: cache unreachable")
        return False


def _broker() -> bool:
    from celery import current_app

    try:
        with current_app.connection_for_write(connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        return True
    except Exception:  # the broker's errors vary by transport
        logger.warning("health: broker unreachable", exc_info=True)
        return False


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


def health_report() -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 unless the database is down; each dependency by name."""
    results = {name: ("ok" if check() else "down") for name, check in CHECKS.items()}
    if results["database"] != "ok":
        overall, status = "down", 503
    elif all(v == "ok" for v in results.values()):
        overall, status = "ok", 200
    else:
        overall, status = "degraded", 200
    return status, {"status": overall, "checks": results}
