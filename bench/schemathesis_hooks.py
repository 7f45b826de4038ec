"""Schemathesis hooks for bench/schemathesis_api.sh: make *positive* cases satisfy the
rules a JSON schema cannot say, so "schema-valid request rejected" means a real bug.

Negative cases are left alone. Set by the script: ST_USERNAME, ST_PASSWORD, ST_IDS (JSON
of field name to a real id the persona may use).
"""

import io
import json
import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import schemathesis
from PIL import Image
from schemathesis.core.parameters import ParameterLocation

IDS: dict[str, int] = json.loads(os.environ.get("ST_IDS", "{}"))
MOMENTS = {"paid_at", "harm_noticed_at", "occurred_at"}
PAST = "2024-05-21T10:15:00+08:00"
rng = random.Random(7)


def _png() -> bytes:
    """A new picture every time: evidence refuses unknown bytes and the same file twice."""
    out = io.BytesIO()
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def _in_range(value: Any) -> bool:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return datetime(1970, 1, 1, tzinfo=UTC) <= moment <= datetime.now(UTC)


def _fix(body: dict[str, Any]) -> None:
    for name, value in list(body.items()):
        if name in IDS and value is not None:
            body[name] = IDS[name]
        elif name in MOMENTS and value is not None and not _in_range(value):
            body[name] = PAST
        elif name == "file":
            body[name] = _png()
        elif isinstance(value, dict):
            _fix(value)
    if "username" in body and "password" in body:
        body["username"] = os.environ.get("ST_USERNAME", "")
        body["password"] = os.environ.get("ST_PASSWORD", "")


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    meta = case.meta
    headers = case.headers or {}
    if "Idempotency-Key" in headers and not (
        meta and meta.is_negative_at(ParameterLocation.HEADER)
    ):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex  # one key per request
    if isinstance(case.body, dict) and (
        meta is None or not meta.is_negative_at(ParameterLocation.BODY)
    ):
        _fix(case.body)
