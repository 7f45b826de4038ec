"""A Redis cache that degrades instead of failing when Redis is unreachable.

The cache holds only counters and memos that can be rebuilt (DRF throttle histories,
allauth rate-limit counters): with Redis down, reads miss and writes are dropped with a
warning, so the API and the portal keep answering instead of returning 500 (OWASP ASVS
5.0 V16.5.2, "fail securely and gracefully"). What must hold without Redis holds
elsewhere: sign-in lockouts are django-axes rows in the database. After a failure the
backend skips Redis for ``RETRY_AFTER_SECONDS`` so a dead server costs one connect
timeout, not one per request.
"""

import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class DegradingRedisCache(RedisCache):
    _down_until = 0.0

    def _guarded(self, name: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except _UNREACHABLE as exc:
            type(self)._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "cache unreachable (%s: %s); %s degraded for %ss: throttles and rate limits "
                "fail open, sign-in lockouts still apply",
                type(exc).__name__,
                exc,
                name,
                RETRY_AFTER_SECONDS,
            )
            return default

    def healthy(self) -> bool:
        """A real round trip, bypassing the degradation: for the health check."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except _UNREACHABLE:
            return False

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guarded("get", default, key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = ..., version: Any = None) -> None:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        self._guarded("set", None, key, value, version=version, **kwargs)

    def add(self, key: Any, value: Any, timeout: Any = ..., version: Any = None) -> bool:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        # "Added" while down: a lock built on add() (allauth's rate-limit lock) must not
        # wait and then refuse every sign-in; the database lockout still applies.
        return self._guarded("add", True, key, value, version=version, **kwargs)

    def touch(self, key: Any, timeout: Any = ..., version: Any = None) -> bool:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        return self._guarded("touch", False, key, version=version, **kwargs)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._guarded("delete", False, key, version)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._guarded("get_many", {}, keys, version)

    def set_many(self, data: Any, timeout: Any = ..., version: Any = None) -> list[Any]:
        kwargs = {} if timeout is ... else {"timeout": timeout}
        return self._guarded("set_many", [], data, version=version, **kwargs)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._guarded("delete_many", None, keys, version)

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._guarded("has_key", False, key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._guarded("incr", delta, key, delta, version)

    def clear(self) -> None:
        self._guarded("clear", None)
