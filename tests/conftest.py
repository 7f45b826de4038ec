"""Personas and the rules about which database and broker the suite must run on."""

import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.utils import translation

from complaints.access import roles_ensure
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
def default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the default language: a request in English (LocaleMiddleware
    activates it for the thread and leaves it active) must not turn the next test's texts
    English."""
    translation.deactivate()
    yield
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


# Staff by role (the migration's groups), named as the admin tests call them.


@pytest.fixture
def roles(db: None):  # type: ignore[no-untyped-def]
    return roles_ensure()


@pytest.fixture
def tom(roles):  # type: ignore[no-untyped-def]
    """A triager by role."""
    user = StaffFactory(username="tom")
    user.groups.add(roles[0])
    return user


@pytest.fixture
def tim(roles):  # type: ignore[no-untyped-def]
    """Another triager by role."""
    user = StaffFactory(username="tim")
    user.groups.add(roles[0])
    return user


@pytest.fixture
def suzy(roles):  # type: ignore[no-untyped-def]
    """A supervisor by role, not a superuser."""
    user = StaffFactory(username="suzy")
    user.groups.add(roles[1])
    return user
