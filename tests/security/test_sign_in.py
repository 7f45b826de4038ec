"""Password guessing: one lockout for the portal, the admin and the API, keyed on the real
client address and the account however it is named; Argon2 for new hashes."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from config.security import client_ip
from config.settings import security as security_settings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def dora():  # type: ignore[no-untyped-def]
    user = UserFactory(username="dora", email="dora@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _token(client: APIClient, username: str, password: str = "wrong", **extra):  # type: ignore[no-untyped-def]  # noqa: S107
    body = {"username": username, "password": password}
    return client.post(TOKEN_URL, body, format="json", **extra)


def test_the_api_locks_out_after_five_failures_even_with_the_right_password(dora) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(4):
        assert _token(client, "dora").status_code == 400
    assert _token(client, "dora").status_code == 429
    locked = _token(client, "dora", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.json()["error"]["message"]
    assert "token" not in locked.json()


def test_a_lockout_looks_the_same_whether_or_not_the_account_exists(dora) -> None:  # type: ignore[no-untyped-def]
    answers = []
    for name in ("dora", "nobody-here"):
        cache.clear()  # the API's own per-address throttle is not what is compared here
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        for _ in range(5):
            _token(client, name)
        response = _token(client, name)
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 429


def test_naming_the_account_by_email_does_not_buy_fresh_guesses(dora) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    for name in ("dora", "dora", "DORA@example.com", "dora@example.com"):
        assert _token(client, name).status_code == 400
    assert _token(client, "dora@example.com").status_code == 429
    assert _token(client, "dora", PASSWORD).status_code == 429


def test_portal_admin_and_api_failures_count_together(dora) -> None:  # type: ignore[no-untyped-def]
    portal, admin, api = Client(), Client(), APIClient()
    for _ in range(2):
        portal.post(reverse("account_login"), {"login": "dora@example.com", "password": "x"})
    admin.post(reverse("admin:login"), {"username": "dora", "password": "x"})
    _token(api, "dora")
    assert _token(api, "dora").status_code == 429
    response = portal.post(
        reverse("account_login"), {"login": "dora@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_the_admin_login_locks_out_too() -> None:
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "root", "password": "x"})
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_forged_x_forwarded_for_does_not_reset_the_count(dora) -> None:  # type: ignore[no-untyped-def]
    """With no proxy configured (NUM_PROXIES=0) the header is the client's own claim."""
    client = APIClient()
    for n in range(5):
        _token(client, "dora", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert _token(client, "dora", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


def test_behind_one_proxy_the_address_it_saw_is_the_client() -> None:
    class Request:
        META = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7"}

    with override_settings(NUM_PROXIES=0):
        assert client_ip(Request) == "10.0.0.2"
    with override_settings(NUM_PROXIES=1):
        assert client_ip(Request) == "198.51.100.7"
    with override_settings(NUM_PROXIES=2):
        assert client_ip(Request) == "6.6.6.6"


def test_drf_and_axes_read_the_same_proxy_setting(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.NUM_PROXIES
    assert settings.AXES_CLIENT_IP_CALLABLE == "config.security.client_ip"
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.NUM_PROXIES
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_argon2_hashes_new_passwords_and_old_pbkdf2_hashes_still_verify() -> None:
    """The deployed hasher list (config/settings/security.py), not the tests' fast one."""
    hashers = security_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=hashers):
        assert identify_hasher(make_password("s3cret-pass")).algorithm == "argon2"
        old = make_password("s3cret-pass", hasher="pbkdf2_sha256")
        assert check_password("s3cret-pass", old)
        user = UserFactory(username="legacy")
        user.password = old
        user.save()
        assert user.check_password("s3cret-pass")
        user.refresh_from_db()
        assert user.password.startswith("argon2")
