"""The suite runs where it claims to: PostgreSQL in CI, never a silent SQLite fallback."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_on_postgresql(db: None) -> None:
    if IN_CI:
        assert connection.vendor == "postgresql", "CI=true but the database is not PostgreSQL"
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI=true but no Redis broker"


def test_production_refuses_to_start_without_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", DEBUG="false")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_defaults_are_chinese_and_shanghai() -> None:
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert {code for code, _ in settings.LANGUAGES} == {"zh-hans", "en"}
