"""API clients for the personas, and a filed case of each complainant."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import case_filed


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def alice_api(complainant) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(complainant)


@pytest.fixture
def mallory_api(outsider) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(outsider)


@pytest.fixture
def tina_api(triager) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(triager)


@pytest.fixture
def sam_api(supervisor) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(supervisor)


@pytest.fixture
def anon_api() -> APIClient:
    return client_for(None)


@pytest.fixture
def alice_case(complainant):  # type: ignore[no-untyped-def]
    return case_filed(complainant=complainant)


@pytest.fixture
def mallory_case(outsider):  # type: ignore[no-untyped-def]
    return case_filed(complainant=outsider)
