"""Personas and the rules about which database and broker the suite must run on."""

import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.utils import translation

from tests.factories import StaffFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"CI={IN_CI}; DATABASE_URL={'set' if os.environ.get('DATABASE_URL') else 'unset (SQLite)'}"
    )


def need(condition: bool, reason: str) -> None:
    """Skip locally without the service, but fail in CI: a silent skip there hides a gap."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Each test starts in the default language: a request through LocaleMiddleware leaves
    its language active in the thread (Django resets it only for the next request)."""
    translation.deactivate()


@pytest.fixture
def postgres(db: None) -> None:
    need(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def complainant(db: None):  # type: ignore[no-untyped-def]
    return UserFactory(username="alice")


@pytest.fixture
def outsider(db: None):  # type: ignore[no-untyped-def]
    return UserFactory(username="mallory")


@pytest.fixture
def triager(db: None):  # type: ignore[no-untyped-def]
    user = StaffFactory(username="tina")
    group, _ = Group.objects.get_or_create(name="triagers")
    group.permissions.add(
        *Permission.objects.filter(codename__in=["view_complaintcase", "triage_case"])
    )
    user.groups.add(group)
    return user


@pytest.fixture
def supervisor(db: None):  # type: ignore[no-untyped-def]
    return StaffFactory(username="sam", is_superuser=True)
