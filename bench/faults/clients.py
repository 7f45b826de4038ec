"""Complainants over HTTP for the outage scripts: gunicorn started the production way,
filings and uploads through the API with Idempotency-Keys, every answer recorded."""

import hashlib
import io
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.faults import harness as h


def gunicorn(
    stack: h.Stack, env: dict[str, str], *, port: int, workers: int = 2, threads: int = 4
) -> h.Child:
    child = stack.spawn(
        "gunicorn",
        [
            h.GUNICORN,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "60",
            # Idle keep-alive connections stay open longer than a client's pause (as nginx's
            # keepalive_timeout in front would): a connection closed by the server just as
            # the client reuses it is an error no user sees behind a proxy.
            "--keep-alive",
            "75",
            "--access-logfile",
            "-",
            "--access-logformat",
            "access %(m)s %(U)s %(s)s %(L)s",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    if not h.wait_until(
        lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200, timeout=60
    ):
        raise SystemExit(f"gunicorn did not answer:\n{child.text()[-3000:]}")
    return child


def tokens_for(users: list[Any]) -> list[str]:
    from rest_framework.authtoken.models import Token

    return [Token.objects.create(user=u).key for u in users]


def png(seed: int, size: int = 64) -> bytes:
    """A small picture no other upload has (evidence refuses the same file twice)."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (size, size))
    image.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size**2)]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class Answer:
    kind: str  # "file" or "upload" or "read"
    key: str
    status: int  # 0: no HTTP answer (connection refused or reset)
    body: Any
    seconds: float
    replayed: bool = False
    started: float = 0.0
    sha256: str = ""


@dataclass
class Log:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)


def _call(
    log: Log,
    kind: str,
    key: str,
    method: str,
    url: str,
    *,
    sha256: str = "",
    timeout: float = 30,
    **kwargs: Any,
) -> Answer:
    started = time.monotonic()
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:300]
        answer = Answer(
            kind,
            key,
            response.status_code,
            body,
            time.monotonic() - started,
            response.headers.get("Idempotent-Replayed") == "true",
            started,
            sha256,
        )
    except requests.RequestException as exc:
        answer = Answer(kind, key, 0, repr(exc), time.monotonic() - started, False, started)
    log.add(answer)
    return answer


def case_file(
    log: Log, base: str, token: str, key: str, platform_id: int, *, timeout: float = 30
) -> Answer:
    """File one case with the order inline; ``key`` is the Idempotency-Key and, in the
    description, the marker that finds the case in the database afterwards. A client
    ``timeout`` shorter than the server's work gives up on an answer that still comes."""
    return _call(
        log,
        "file",
        key,
        "POST",
        f"{base}/api/v1/cases/",
        timeout=timeout,
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key},
        json={
            "problem_type": "lost_order_unsynced",
            "description": f"付款成功,订单一直显示待付款,充值未到账。[{key}]",
            "demand": {"kind": "refund", "text": "24 小时内原路退款", "within_hours": 24},
            "order": {
                "platform_id": platform_id,
                "order_number": key[:60],
                "product_name": "王者荣耀 点券 600",
                "product_kind": "top_up",
                "amount": "60.00",
                "payment_method": "alipay",
            },
        },
    )


def evidence_upload(
    log: Log, base: str, token: str, case_id: int, key: str, data: bytes, name: str
) -> Answer:
    return _call(
        log,
        "upload",
        key,
        "POST",
        f"{base}/api/v1/cases/{case_id}/evidence/",
        sha256=hashlib.sha256(data).hexdigest(),
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key},
        data={"kind": "error_screenshot"},
        files={"file": (name, data, "image/png")},
    )


def case_read(log: Log, base: str, token: str, case_id: int) -> Answer:
    return _call(
        log,
        "read",
        str(case_id),
        "GET",
        f"{base}/api/v1/cases/{case_id}/",
        headers={"Authorization": f"Token {token}"},
    )


def new_key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def error_message(body: Any) -> str:
    """The API's error shape: {"error": {"code", "message", "fields"}}."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or "")
    return ""


def statuses(answers: list[Answer]) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in answers:
        label = str(a.status) if a.status else "no answer"
        out[label] = out.get(label, 0) + 1
    return dict(sorted(out.items()))


def evidence_check(answers: list[Answer]) -> tuple[int, int]:
    """(uploads answered 2xx missing from the database, ... whose stored file is not the
    bytes sent): by the item id the API returned and the SHA-256 of what was sent."""
    from evidence.models import EvidenceItem

    done = [a for a in answers if a.kind == "upload" and 200 <= a.status < 300]
    items = {
        i.pk: i
        for i in EvidenceItem.objects.filter(
            pk__in=[a.body.get("id") for a in done if isinstance(a.body, dict)]
        )
    }
    missing = bad = 0
    for a in done:
        item = items.get(a.body.get("id") if isinstance(a.body, dict) else None)
        if item is None:
            missing += 1
            continue
        try:
            with item.file.storage.open(item.file.name, "rb") as handle:
                stored = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            stored = ""
        if item.sha256 != a.sha256 or stored != a.sha256:
            bad += 1
    return missing, bad
