"""Response headers (CSP with nonces, Permissions-Policy, no-store on case data) and the
deployment settings (check --deploy clean, no start without a secret key)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from evidence.services import evidence_add
from tests.evidence import samples
from tests.factories import StaffFactory, case_filed
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
INLINE = re.compile(rb"<(script|style)\b([^>]*)>", re.IGNORECASE)


def _nonce(response) -> str:  # type: ignore[no-untyped-def]
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    found = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    assert found, policy
    return found[1]


def _inline_tags_carry(response, nonce: str) -> None:  # type: ignore[no-untyped-def]
    for tag, attributes in INLINE.findall(response.content):
        if tag.lower() == b"script" and b"src=" in attributes:
            continue
        assert f'nonce="{nonce}"'.encode() in attributes, (tag, attributes)


def test_every_portal_page_gets_its_own_nonce(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    first, second = client.get(reverse("portal:case_list")), client.get(reverse("home"))
    assert _nonce(first) != _nonce(second)
    for response in (first, second):
        assert f'nonce="{_nonce(response)}"'.encode() in response.content
        _inline_tags_carry(response, _nonce(response))
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_admin_pages_run_under_the_policy() -> None:
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    for url in (reverse("admin:login"), reverse("admin:index")):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "object-src 'none'" in policy
        _inline_tags_carry(response, _nonce(response) if "nonce-" in policy else "-")


def test_swagger_ui_inline_script_and_style_carry_the_nonce(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    nonce = _nonce(response)
    assert response.content.count(f'nonce="{nonce}"'.encode()) >= 2
    _inline_tags_carry(response, nonce)


def test_case_data_and_files_are_never_cached(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    item = evidence_add(
        bundle=case.evidence_bundle,
        actor=complainant,
        file=SimpleUploadedFile("chat.txt", samples.chat_text()),
        kind="chat_log",
    )
    portal = client_for(complainant)
    api = APIClient()
    api.force_authenticate(complainant)
    responses = [
        portal.get(reverse("portal:case_detail", args=[case.reference])),
        portal.get(reverse("evidence:item_download", kwargs={"item_pk": item.pk})),
        api.get(f"/api/v1/cases/{case.pk}/"),
        api.get(f"/api/v1/cases/{case.pk}/evidence/{item.pk}/download/"),
        api.get(f"/api/v1/cases/{case.pk}/package/"),
    ]
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]


def _manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_with_production_settings_reports_nothing() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kamen.example.cn",
        CSRF_TRUSTED_ORIGINS="https://kamen.example.cn",
        SITE_URL="https://kamen.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.base"])
def test_debug_off_without_a_secret_key_stops_any_settings_module(module: str) -> None:
    result = _manage("check", DJANGO_SETTINGS_MODULE=module, DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_debug_off_with_the_development_key_stops_too() -> None:
    result = _manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY="django-insecure-development-only-do-not-use-in-production",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_sends_hsts_and_redirects_plain_http() -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stderr
    assert "31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout
