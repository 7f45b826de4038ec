"""Idempotency-Key: a retried create returns the first answer and creates nothing new.

The key row is inserted in the same transaction as the thing it creates. A concurrent
retry blocks on the unique index until the first commits, then replays its answer; if the
first failed, its key row is rolled back with everything else and the retry runs afresh.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.errors import InvalidInput

from .errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_REGEX = r"[!-~]{1,255}"  # visible ASCII: a UUID, a hash, a client's own counter
KEY_PATTERN = re.compile(KEY_REGEX)


def request_fingerprint(request: Request) -> str:
    """A hash of what the request asks for: method, path and body (files by content)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    files = request.FILES
    if files:
        fields = {k: request.POST.getlist(k) for k in sorted(request.POST.keys())}
        digest.update(json.dumps(fields, sort_keys=True).encode())
        for name in sorted(files.keys()):
            for upload in files.getlist(name):
                digest.update(f"\n{name}:{upload.name}:{upload.size}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        data = request.data
        if hasattr(data, "lists"):
            data = {k: v for k, v in data.lists()}
        digest.update(json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode())
    return digest.hexdigest()


def idempotent(*, request: Request, scope: str, perform: Callable[[], Response]) -> Response:
    """Run ``perform`` once per (user, Idempotency-Key); without the header, just run it.

    Keys belong to a user: an anonymous caller (whom the view's permissions turn away
    inside ``perform``) has none, so the request just runs.
    """
    key = request.headers.get(HEADER)
    user = request.user
    if key is None or not user.is_authenticated:
        return perform()
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(
            fields={HEADER: [_("An Idempotency-Key has 1 to 255 visible ASCII characters.")]}
        )
    fingerprint = request_fingerprint(request)
    expired_before = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=expired_before).delete()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, scope=scope, fingerprint=fingerprint
                )
        except IntegrityError:
            record = None
        if record is None:
            return _replay(user=user, key=key, scope=scope, fingerprint=fingerprint)
        response = perform()
        record.response_status = response.status_code
        record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
        record.save(update_fields=["response_status", "response_body"])
    return response


def _replay(*, user: Any, key: str, scope: str, fingerprint: str) -> Response:
    record = IdempotencyKey.objects.filter(user=user, key=key).first()
    if record is None:
        raise IdempotencyKeyInFlight()
    if record.scope != scope or record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.response_status is None:
        raise IdempotencyKeyInFlight()
    return Response(
        record.response_body,
        status=record.response_status,
        headers={"Idempotent-Replayed": "true"},
    )


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Forget keys older than IDEMPOTENCY_KEY_TTL_HOURS; a retry after that is a new request."""
    now = now or timezone.now()
    expired_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=expired_before).delete()
    return deleted
