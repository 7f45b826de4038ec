"""What a run seeds (complainants, filed cases) and what it counts afterwards: the email
sink's Message-IDs and the printed figures."""

import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .processes import RESULT_PREFIX, ROOT

# --- seeding ------------------------------------------------------------------------------


def complainants(n: int, *, prefix: str, password: str = "", verified: bool = False) -> list[Any]:
    """``n`` complainant accounts, fast: one password hash shared by all of them."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    hashed = make_password(password) if password else "!"
    users = User.objects.bulk_create(
        [
            User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password=hashed)
            for i in range(1, n + 1)
        ]
    )
    if verified:
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
    return users


def platform_get() -> Any:
    from complaints.models import Platform

    platform, _ = Platform.objects.get_or_create(
        name="演练卡盟", defaults={"complaint_email": "kefu@drill.example.cn"}
    )
    return platform


def _django_child() -> None:
    """A seeding process: Django set up from the environment the script built."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _cases_file_part(user_ids: list[int], numbers: list[int], filed_at: str, tag: str) -> list[int]:
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils.dateparse import parse_datetime

    from casework import actions
    from complaints import services
    from complaints.choices import DemandKind, PaymentMethod, ProblemType, ProductKind

    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}
    moment = parse_datetime(filed_at)
    assert moment is not None
    platform = platform_get()
    ids = []
    for i in numbers:
        user = users[user_ids[i % len(user_ids)]]
        order = services.order_create(
            owner=user,
            platform=platform,
            order_number=f"{tag}-{i}",
            product_name="王者荣耀 点券 600",
            product_kind=ProductKind.TOP_UP,
            amount=Decimal("60.00"),
            paid_at=moment - timedelta(hours=2),
            payment_method=PaymentMethod.ALIPAY,
        )
        case = actions.case_file(
            complainant=user,
            order=order,
            problem_type=ProblemType.LOST_ORDER_UNSYNCED,
            description=f"付款成功但订单消失,充值未到账。[{tag}-{i}]",
            demand_kind=DemandKind.REFUND,
            route=False,
            now=moment,
        )
        ids.append(case.pk)
    from django.db import connection

    connection.close()
    return ids


def cases_file(
    users: Sequence[Any], n: int, *, filed_ago_hours: float, tag: str, procs: int = 4
) -> list[int]:
    """``n`` cases filed through the one filing action (``casework.actions.case_file``)
    ``filed_ago_hours`` ago, so their platform clock has run out when that is over 24 h;
    the description carries ``[tag-i]``. ``procs`` processes file in parallel (each
    filing is some forty round trips to the database)."""
    import multiprocessing
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    platform_get()
    filed_at = (timezone.now() - timedelta(hours=filed_ago_hours)).isoformat()
    user_ids = [u.pk for u in users]
    connection.close()
    # Fresh interpreters, not forks: a fork copies whatever lock another thread of this
    # process held at that moment (a logging or connection-pool lock) and can hang on it.
    with multiprocessing.get_context("spawn").Pool(procs, initializer=_django_child) as pool:
        parts = pool.starmap(
            _cases_file_part,
            [(user_ids, list(range(p, n, procs)), filed_at, tag) for p in range(procs)],
        )
    return sorted(pk for part in parts for pk in part)


def stages_make_due(case_ids: list[int]) -> None:
    """Put the open stages of ``case_ids`` a minute past their deadline (the database's
    clock, which the sweeping processes read too)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE escalation_tierstage SET next_due_at = now() - interval '1 minute' "
            "WHERE closed_at IS NULL AND case_id = ANY(%s)",
            [case_ids],
        )


# --- the email sink -----------------------------------------------------------------------

MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)\s*$", re.MULTILINE | re.IGNORECASE)


def mail_ids(mail_dir: Path) -> Counter[str]:
    """Message-IDs of every message the filebased backend wrote, with how often each came."""
    seen: Counter[str] = Counter()
    if mail_dir.exists():
        for path in mail_dir.iterdir():
            for match in MESSAGE_ID.finditer(path.read_bytes()):
                seen[match.group(1).decode()] += 1
    return seen


def outbox_message_ids() -> dict[str, str]:
    """The Message-ID each outbox row is sent with (fixed per dedupe key), to its key."""
    from notifications.models import OutboxEmail
    from notifications.outbox import _message_id

    return {
        _message_id(key): key for key in OutboxEmail.objects.values_list("dedupe_key", flat=True)
    }


def repeats(sink: Counter[str], fault_dir: Path, killed: set[int]) -> tuple[int, list[str]]:
    """Messages received more than once: how many came again after a kill, and a line for
    each other repeat (its dedupe key and the pids of its attempts).

    The outbox sends exactly once where the receiver lets it: a retry of a row whose
    acceptance was recorded records it sent without sending. What no sender can close is
    a process killed after the receiver took the message and before the row recorded
    it; the retry then sends the same message again, with the same Message-ID, for the
    receiver to drop. A repeat counts as "after a kill" only when the attempt before it
    was the last one a killed process made (the hooks log every attempt with its pid):
    a killed process can leave unrecorded only the send it was in."""
    from bench.faults import hooks

    by_message = outbox_message_ids()
    attempts: dict[str, list[int]] = {}
    when: dict[str, list[str]] = {}
    last_key: dict[int, str] = {}
    for entry in hooks.sends(fault_dir):
        attempts.setdefault(entry["key"], []).append(int(entry["pid"]))
        when.setdefault(entry["key"], []).append(f"{entry['pid']}#{entry['attempt']}@{entry['at']}")
        last_key[int(entry["pid"])] = entry["key"]
    after_kill, otherwise = 0, []
    for message_id, count in sink.items():
        if count < 2:
            continue
        key = by_message.get(message_id, "")
        pids = attempts.get(key, [])
        interrupted = sum(1 for pid in pids[:-1] if pid in killed and last_key.get(pid) == key)
        after_kill += min(interrupted, count - 1)
        if count - 1 > interrupted:
            attempted = ", ".join(when.get(key, []))
            otherwise.append(f"{key or message_id}: received {count} times; attempts {attempted}")
    return after_kill, otherwise


# --- figures ------------------------------------------------------------------------------


@dataclass
class Report:
    """Checks with their goal and figure, printed as a table and as one RESULT line."""

    script: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, figure: Any, goal: str, ok: bool) -> bool:
        self.checks.append({"check": name, "goal": goal, "figure": figure, "ok": bool(ok)})
        return bool(ok)

    def equal(self, name: str, figure: Any, expected: Any) -> bool:
        return self.check(name, figure, f"= {expected}", figure == expected)

    def zero(self, name: str, figure: int) -> bool:
        return self.check(name, figure, "0", figure == 0)

    def note(self, **figures: Any) -> None:
        self.figures.update(figures)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks)

    def print(self) -> int:
        print()
        for key, value in self.figures.items():
            print(f"  {key}: {value}")
        print()
        width = max((len(c["check"]) for c in self.checks), default=10)
        print(f"  {'check'.ljust(width)}  {'goal':>12}  {'figure':>12}  result")
        for c in self.checks:
            mark = "pass" if c["ok"] else "FAIL"
            print(f"  {c['check'].ljust(width)}  {c['goal']:>12}  {c['figure']!s:>12}  {mark}")
        print()
        print(
            RESULT_PREFIX
            + json.dumps(
                {"script": self.script, "ok": self.ok, "checks": self.checks},
                ensure_ascii=False,
                default=str,
            ),
            flush=True,
        )
        return 0 if self.ok else 1
