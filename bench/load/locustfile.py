"""Locust users for bench/load/run.py: complainants who file with two files and browse,
staff who work the admin case list. Not meant to be started alone: run.py seeds the
accounts, starts gunicorn and passes what this file needs in the environment.

``LOAD_ACCOUNTS`` names a JSON file of accounts ({"complainants": [{"email", "password",
"token"}], "staff": [{"username", "password"}]}); every filing and file answered 201 is
appended to ``LOAD_SENT`` (JSON lines) so run.py can count them in the database.
``LOAD_COMPLAINANTS`` and ``LOAD_STAFF`` fix how many of each run; each request's start
and duration go to ``LOAD_TIMINGS`` (JSON) at the end.

A complainant signs in to the portal (email and password, a session) and files a case
through the API (order inline, an Idempotency-Key) with a 1 MB screenshot (JPEG) and a
250 KB chat log; then, one page a pause (``LOAD_WAIT``, 3-10 s: a person reading), reads
*My cases*, one of their case pages, the API's case list or case, or files another. A
staff member signs in to the admin and reads, one page every 2-8 s (``LOAD_STAFF_WAIT``),
the case list (the default queue, its filters, a search by reference) and case pages.
"""

import hashlib
import io
import itertools
import json
import os
import random
import re
import threading
import uuid
from typing import Any

from locust import HttpUser, between, events, task

with open(os.environ["LOAD_ACCOUNTS"], encoding="utf-8") as _accounts:
    ACCOUNTS = json.load(_accounts)
SENT_PATH = os.environ["LOAD_SENT"]
_sent_lock = threading.Lock()
_complainants = itertools.cycle(ACCOUNTS["complainants"])
_staff = itertools.cycle(ACCOUNTS["staff"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ADMIN_CASE = re.compile(r"/admin/complaints/complaintcase/(\d+)/change/")
REFERENCE = re.compile(r"KM-\d{4}-\d{6}")


def _screenshot() -> bytes:
    """About 1 MB of JPEG (1240 x 930 of noise at quality 90), made once."""
    from PIL import Image

    rng = random.Random(1)
    image = Image.frombytes("RGB", (1240, 930), rng.randbytes(1240 * 930 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


SCREENSHOT = _screenshot()
CHAT_LINE = "客服:您好,订单 20261120001 正在处理,请耐心等待。\n我:已经付款两天了,点券还没到账。\n"
CHAT = (CHAT_LINE * (250 * 1024 // len(CHAT_LINE.encode()) + 1)).encode()[: 250 * 1024]


def unique_jpeg() -> bytes:
    """The screenshot with a comment segment of its own after SOI: a file no one sent."""
    comment = f"load {uuid.uuid4()}".encode()
    return (
        SCREENSHOT[:2]
        + b"\xff\xfe"
        + (len(comment) + 2).to_bytes(2, "big")
        + comment
        + SCREENSHOT[2:]
    )


def unique_chat() -> bytes:
    return f"聊天记录 {uuid.uuid4()}\n".encode() + CHAT[: 250 * 1024 - 64]


def sent(record: dict[str, Any]) -> None:
    with _sent_lock, open(SENT_PATH, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def sign_in(user: HttpUser, path: str, fields: dict[str, str], name: str) -> None:
    page = user.client.get(path, name=f"GET {name}")
    match = CSRF.search(page.text)
    with user.client.post(
        path,
        data={**fields, "csrfmiddlewaretoken": match.group(1) if match else ""},
        headers={"Referer": user.host + path},
        allow_redirects=False,
        name=f"POST {name}",
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            said = re.findall(
                r'class="[^"]*(?:errorlist|error|alert)[^"]*"[^>]*>(.*?)<', response.text
            )
            response.failure(f"sign-in answered {response.status_code}: {said[:2]}")


def pause(variable: str, default: str) -> Any:
    low, high = (float(x) for x in os.environ.get(variable, default).split(","))
    return between(low, high)


class Complainant(HttpUser):
    fixed_count = int(os.environ.get("LOAD_COMPLAINANTS", "50"))
    wait_time = pause("LOAD_WAIT", "3,10")

    def on_start(self) -> None:
        account = next(_complainants)
        self.token = account["token"]
        self.cases: list[tuple[int, str]] = []
        sign_in(
            self,
            "/accounts/login/",
            {"login": account["email"], "password": account["password"]},
            "/accounts/login/ (portal sign-in)",
        )
        self.wait()  # writing the complaint takes a moment
        self.file_case()

    def api(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    @task(1)
    def file_case(self) -> None:
        key = f"load-{uuid.uuid4().hex}"
        with self.client.post(
            "/api/v1/cases/",
            name="POST /api/v1/cases/ (file a case)",
            headers={**self.api(), "Idempotency-Key": key},
            json={
                "problem_type": "invalid_card_key",
                "description": f"卡密激活时提示已被使用,客服不回复。[{key}]",
                "demand": {"kind": "reissue", "text": "补发可用卡密", "within_hours": 24},
                "order": {
                    "platform_name": "负载测试卡盟",
                    "order_number": key[-20:],
                    "product_name": "腾讯视频 SVIP 月卡",
                    "product_kind": "card_key",
                    "amount": "30.00",
                    "payment_method": "wechat_pay",
                },
            },
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            case = response.json()
        sent({"kind": "case", "id": case["id"], "key": key})
        self.cases.append((case["id"], case["reference"]))
        for data, name, kind, mime, label in (
            (unique_jpeg(), "screenshot.jpg", "error_screenshot", "image/jpeg", "1 MB"),
            (unique_chat(), "chat.txt", "chat_log", "text/plain", "250 KB"),
        ):
            upload_key = f"file-{uuid.uuid4().hex}"
            with self.client.post(
                f"/api/v1/cases/{case['id']}/evidence/",
                name=f"POST /api/v1/cases/[id]/evidence/ ({label})",
                headers={**self.api(), "Idempotency-Key": upload_key},
                data={"kind": kind},
                files={"file": (name, data, mime)},
                catch_response=True,
            ) as response:
                if response.status_code != 201:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    continue
                item = response.json()
            sent(
                {
                    "kind": "file",
                    "id": item["id"],
                    "case": case["id"],
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )

    @task(3)
    def my_cases(self) -> None:
        self.client.get("/cases/", name="GET /cases/ (my cases)")

    @task(3)
    def case_page(self) -> None:
        if self.cases:
            reference = random.choice(self.cases)[1]
            self.client.get(f"/cases/{reference}/", name="GET /cases/[reference]/ (case page)")

    @task(1)
    def api_cases(self) -> None:
        self.client.get("/api/v1/cases/", headers=self.api(), name="GET /api/v1/cases/")

    @task(1)
    def api_case(self) -> None:
        if self.cases:
            case_id = random.choice(self.cases)[0]
            self.client.get(
                f"/api/v1/cases/{case_id}/", headers=self.api(), name="GET /api/v1/cases/[id]/"
            )


class Staff(HttpUser):
    fixed_count = int(os.environ.get("LOAD_STAFF", "5"))
    wait_time = pause("LOAD_STAFF_WAIT", "2,8")
    LIST = "/admin/complaints/complaintcase/"
    FILTERS = (
        "?deadline=overdue",
        "?assigned=actionable",
        "?tier__exact=platform",
        "?status__exact=submitted",
    )

    def on_start(self) -> None:
        account = next(_staff)
        self.case_ids: list[str] = []
        self.references: list[str] = []
        sign_in(
            self,
            "/admin/login/?next=/admin/",
            {"username": account["username"], "password": account["password"], "next": "/admin/"},
            "/admin/login/ (staff sign-in)",
        )

    def remember(self, html: str) -> None:
        self.case_ids = list(dict.fromkeys(ADMIN_CASE.findall(html)))[:50] or self.case_ids
        self.references = list(dict.fromkeys(REFERENCE.findall(html)))[:50] or self.references

    @task(3)
    def case_list(self) -> None:
        response = self.client.get(self.LIST, name="GET admin case list (the queue)")
        self.remember(response.text)

    @task(2)
    def case_list_filtered(self) -> None:
        query = random.choice(self.FILTERS)
        self.client.get(self.LIST + query, name="GET admin case list, filtered or searched")

    @task(1)
    def case_search(self) -> None:
        if self.references:
            self.client.get(
                self.LIST + "?q=" + random.choice(self.references),
                name="GET admin case list, filtered or searched",
            )

    @task(3)
    def case_page(self) -> None:
        if self.case_ids:
            self.client.get(
                f"{self.LIST}{random.choice(self.case_ids)}/change/", name="GET admin case page"
            )


_timings: list[tuple[float, str, float, bool]] = []


@events.request.add_listener
def _timing(
    name: str, response_time: float, exception: Any, start_time: float | None = None, **kw: Any
) -> None:
    """Every request's start and duration, so run.py can tell the arrival of the users from
    the steady state that follows (locust's CSV has the whole run only)."""
    _timings.append((start_time or 0.0, name, response_time, exception is not None))


@events.quitting.add_listener
def _exit_code(environment: Any, **kwargs: Any) -> None:
    """run.py judges the run itself from the timings, the CSV and the database."""
    with open(os.environ["LOAD_TIMINGS"], "w", encoding="utf-8") as handle:
        json.dump(_timings, handle)
    environment.process_exit_code = 0
