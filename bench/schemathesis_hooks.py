"""Schemathesis hooks for bench/schemathesis_api.sh: make *positive* cases satisfy the
rules a JSON schema cannot say, so "schema-valid request rejected" means a real bug.

Negative cases are left alone. Set by the script: ST_USERNAME, ST_PASSWORD, ST_IDS (JSON
of field name to a real id the persona may use).
"""

import copy
import io
import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis
from PIL import Image
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

IDS: dict[str, int] = json.loads(os.environ.get("ST_IDS", "{}"))
MOMENTS = {"paid_at", "harm_noticed_at", "occurred_at", "filed_at", "accepted_at"}  # reported: past
PROMISES = {"promised_by"}  # a promised date: in the future
PAST = "2024-05-21T10:15:00+08:00"
FUTURE = (datetime.now(UTC) + timedelta(days=30)).isoformat()
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


def _in_future(value: Any) -> bool:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return datetime.now(UTC) + timedelta(days=1) < moment < datetime(2100, 1, 1, tzinfo=UTC)


def _fix(body: dict[str, Any], *, multipart: bool) -> None:
    for name, value in list(body.items()):
        if name in IDS and value is not None:
            body[name] = IDS[name]
        elif name in MOMENTS and value is not None and not _in_range(value):
            body[name] = PAST
        elif name in PROMISES and value is not None and not _in_future(value):
            body[name] = FUTURE
        elif name == "file" and multipart:
            # schemathesis's own wrapper for file bytes, as it generates them: a stateful
            # step may carry a value into a JSON body, where raw bytes cannot go
            body[name] = Binary(_png())
        elif isinstance(value, dict):
            _fix(value, multipart=multipart)
    # an amendment's value is read as filing reads its field: a payment time is past too
    if body.get("field") == "order.paid_at" and not _in_range(body.get("value")):
        body["value"] = PAST
    if "username" in body and "password" in body:
        body["username"] = os.environ.get("ST_USERNAME", "")
        body["password"] = os.environ.get("ST_PASSWORD", "")


def _form_text(body: dict[str, Any], operation: Any) -> None:
    """A multipart part is text, and an object or array goes as its JSON (OpenAPI 3.0's
    multipart encoding). A field that takes text of any wire type (the API's FormTextField)
    has no JSON type, and its ``maxLength`` bounds strings only; so a non-string value is
    sent as the text the server reads, within that length."""
    properties: dict[str, Any] = {}
    for parameter in operation.body:
        properties.update((parameter.resolved_schema or {}).get("properties", {}))
    for name, value in body.items():
        schema = properties.get(name) or {}
        limit = schema.get("maxLength")
        if limit is None or "type" in schema or isinstance(value, str | Binary | bytes):
            continue
        text = json.dumps(value)
        if len(text) > limit:
            body[name] = text[:limit]


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Fixtures for positive components, on copies: schemathesis shares one container
    between the cases it derives from a template, and fixing it in place would turn a
    later negative case positive behind the checks' back."""
    meta = case.meta
    headers = case.headers or {}
    if "Idempotency-Key" in headers and not (
        meta and meta.is_negative_at(ParameterLocation.HEADER)
    ):
        headers = headers.copy()
        headers["Idempotency-Key"] = uuid.uuid4().hex  # one key per request
        case.headers = headers
    if isinstance(case.body, dict) and (
        meta is None or not meta.is_negative_at(ParameterLocation.BODY)
    ):
        multipart = case.media_type == "multipart/form-data"
        body = copy.deepcopy(case.body)
        _fix(body, multipart=multipart)
        if multipart:
            _form_text(body, case.operation)
        case.body = body
        if multipart:
            # Schemathesis re-validates a changed body, but cannot validate one that holds
            # a file, and would relabel this positive upload negative; the file and the
            # fixtures above keep it positive, so they are its starting state.
            case._record_starting_state()
