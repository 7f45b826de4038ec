"""Portal test helpers: signed-in clients, a language switch, a clean rate-limit cache."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

ZH = "zh-hans"
EN = "en"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """allauth counts failed logins in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def client_for(user, language: str = ZH) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(complainant) -> Client:  # type: ignore[no-untyped-def]
    return client_for(complainant)


@pytest.fixture
def mallory_client(outsider) -> Client:  # type: ignore[no-untyped-def]
    return client_for(outsider)
