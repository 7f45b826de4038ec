"""Demo data for a newcomer's first look: platforms, people and cases in several states."""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from casework import actions
from casework.analytics import figures_refresh
from casework.sweep import stage_escalate
from complaints import services
from complaints.access import roles_ensure
from complaints.choices import DemandKind, PaymentMethod, ProblemType, ProductKind, Urgency
from complaints.models import ComplaintCase, Platform
from escalation.models import TierStage
from evidence.models import EvidenceKind
from evidence.services import evidence_add


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str

    @property
    def email(self) -> str:
        """The portal signs in by email; the admin by username."""
        return f"{self.username}@example.com"


DEMO_LOGINS = (
    DemoLogin("admin", "admin-demo-2026", "staff superuser"),
    DemoLogin("triager", "triager-demo-2026", "staff (triage)"),
    DemoLogin("demo", "demo-pass-2026", "complainant"),
    DemoLogin("supervisor", "supervisor-demo-2026", "staff (supervisor)"),
)


def _user(login: DemoLogin, **flags: bool) -> User:
    user, created = get_user_model().objects.get_or_create(username=login.username, defaults=flags)
    if created:
        user.email = login.email
        user.set_password(login.password)
        user.save()
        # Verified, so the demo logins work at once despite mandatory email confirmation.
        EmailAddress.objects.create(user=user, email=login.email, verified=True, primary=True)
    return user


@transaction.atomic
def seed_demo(*, now: datetime | None = None) -> list[DemoLogin]:
    """Idempotent: a second run adds nothing."""
    now = now or timezone.now()
    admin = _user(DEMO_LOGINS[0], is_staff=True, is_superuser=True)
    triager = _user(DEMO_LOGINS[1], is_staff=True)
    triager_role, supervisor_role = roles_ensure()
    triager.groups.add(triager_role)
    _user(DEMO_LOGINS[3], is_staff=True).groups.add(supervisor_role)
    demo = _user(DEMO_LOGINS[2])
    if ComplaintCase.objects.filter(complainant=demo).exists():
        return list(DEMO_LOGINS)

    xingchen, _ = Platform.objects.get_or_create(
        name="星辰卡盟",
        defaults={
            "website": "https://xingchen.example.cn",
            "complaint_email": "kefu@xingchen.example.cn",
        },
    )
    yigou, _ = Platform.objects.get_or_create(
        name="易购卡盟",
        defaults={
            "website": "https://yigou.example.cn",
            "complaint_email": "tousu@yigou.example.cn",
        },
    )
    suchong, _ = Platform.objects.get_or_create(
        name="速充网", defaults={"website": "https://suchong.example.cn"}
    )

    def file(
        platform: Platform,
        number: str,
        product: str,
        kind: str,
        amount: str,
        problem: str,
        demand: str,
        description: str,
        *,
        age: timedelta,
        urgency: str = Urgency.NORMAL,
        method: str = PaymentMethod.ALIPAY,
        demand_amount: str | None = None,
    ) -> ComplaintCase:
        filed_at = now - age
        order = services.order_create(
            owner=demo,
            platform=platform,
            order_number=number,
            product_name=product,
            product_kind=kind,
            amount=Decimal(amount),
            paid_at=filed_at - timedelta(hours=2),
            payment_method=method,
            payment_reference=f"2026{number}",
            status_seen="处理中",
        )
        return actions.case_file(
            complainant=demo,
            order=order,
            problem_type=problem,
            description=description,
            demand_kind=demand,
            demand_amount=demand_amount,
            urgency=urgency,
            urgency_reason="游戏活动今晚结束,点券急用。" if urgency == Urgency.URGENT else "",
            harm_noticed_at=filed_at - timedelta(hours=1),
            # The demo's story assigns by hand (first responder, supervisor), so that one
            # case still waits unassigned; smart dispatch routes every other filing.
            route=False,
            now=filed_at,
        )

    def escalate(case: ComplaintCase, at: datetime) -> None:
        stage = TierStage.objects.get(case=case, closed_at__isnull=True)
        stage_escalate(stage_id=stage.pk, now=at)

    svip = file(
        xingchen,
        "20261120001",
        "腾讯视频 SVIP 年卡",
        ProductKind.MEMBERSHIP,
        "198.00",
        ProblemType.LOST_ORDER_UNSYNCED,
        DemandKind.REFUND,
        "支付宝已扣款 198 元,平台订单列表没有这笔订单,会员未开通。",
        age=timedelta(hours=3),
    )
    _demo_evidence(svip, demo, now - timedelta(hours=2, minutes=50))
    # The template reply DOMAIN.md warns about: recorded, so the update clock watches it.
    actions.case_record_response(
        case=svip,
        actor=triager,
        source="respondent",
        text="您好,您的问题已记录,将尽快处理。",
        now=now - timedelta(hours=2),
    )
    # Urgent first response is due two hours after filing: this one escalates a minute or
    # two after the worker starts, so a newcomer sees the ladder move.
    file(
        yigou,
        "YG88231907",
        "王者荣耀 点券 600",
        ProductKind.TOP_UP,
        "60.00",
        ProblemType.NETWORK_ERROR,
        DemandKind.RESUBMIT,
        "提交订单时反复提示“网络错误”,但微信已扣款。",
        age=timedelta(hours=1, minutes=59),
        urgency=Urgency.URGENT,
        method=PaymentMethod.WECHAT_PAY,
    )
    card = file(
        xingchen,
        "20261115088",
        "Steam 充值卡 100 元",
        ProductKind.CARD_KEY,
        "95.00",
        ProblemType.INVALID_CARD_KEY,
        DemandKind.REISSUE,
        "卡密激活时提示“已被使用”,客服只回复“已记录,将尽快处理”。",
        age=timedelta(days=3),
    )
    escalate(card, now - timedelta(days=2))
    # Filed at 12315 the same day: its 7-working-day accept clock runs from then.
    actions.case_record_external_reference(
        case=card,
        actor=demo,
        reference="1234567890123",
        filed_at=now - timedelta(days=2),
        now=now - timedelta(days=2) + timedelta(hours=1),
    )
    stuck = file(
        suchong,
        "SC-5521-0098",
        "Adobe 正版授权 1 年",
        ProductKind.SOFTWARE_LICENCE,
        "680.00",
        ProblemType.NOT_DELIVERED,
        DemandKind.REFUND_COMPENSATION,
        "付款后一直显示待发货,客服失联。",
        age=timedelta(days=12),
        demand_amount="690.00",
    )
    escalate(stuck, now - timedelta(days=11))
    escalate(stuck, now - timedelta(hours=20))
    done = file(
        yigou,
        "YG77100023",
        "网易云音乐 黑胶 VIP 季卡",
        ProductKind.MEMBERSHIP,
        "45.00",
        ProblemType.LOST_ORDER_STUCK,
        DemandKind.REFUND,
        "订单卡在处理中两天。",
        age=timedelta(days=6),
    )
    actions.case_assign(case=done, assignee=triager, actor=admin, now=now - timedelta(days=5))
    actions.case_resolve(
        case=done,
        outcome="refund_received",
        actor=demo,
        note="平台已原路退款",
        now=now - timedelta(days=4),
    )
    gone = file(
        suchong,
        "SC-5521-0042",
        "爱奇艺 月卡",
        ProductKind.MEMBERSHIP,
        "25.00",
        ProblemType.LOST_ORDER_VANISHED,
        DemandKind.EXPLANATION,
        "订单记录消失,无法查询。",
        age=timedelta(days=2),
    )
    actions.case_withdraw(case=gone, actor=demo, reason="已自行解决", now=now - timedelta(days=1))
    waiting = file(
        xingchen,
        "20261119077",
        "原神 创世结晶 6480",
        ProductKind.GAME_ITEM,
        "648.00",
        ProblemType.LOST_ORDER_STUCK,
        DemandKind.REISSUE,
        "支付成功后订单一直是待发货。",
        age=timedelta(hours=20),
    )
    actions.case_assign(
        case=waiting, assignee=triager, actor=triager, now=now - timedelta(hours=19)
    )
    actions.case_request_evidence(
        case=waiting,
        actor=triager,
        message="订单金额超过 500 元,请补充银行或支付宝出具的交易流水。",
        now=now - timedelta(hours=18),
    )
    figures_refresh(now=now, rebuild=True)  # the dashboard shows the demo at once
    return list(DEMO_LOGINS)


def _demo_evidence(case: ComplaintCase, owner: Any, at: datetime) -> None:
    """A payment screenshot and a chat export, so the demo case page shows real evidence."""
    image = Image.new("RGB", (360, 200), "#1677ff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 60, 340, 140), fill="white")
    draw.text((30, 70), "Alipay  -198.00  2026-11-21 20:15", fill="black")
    draw.text((30, 100), "Order 20261120001", fill="black")
    png = io.BytesIO()
    image.save(png, format="PNG")
    chat = (
        "2026-11-21 20:20:03 我:付款成功但会员没开通,订单号 20261120001\n"
        "2026-11-21 20:31:47 客服:已记录,将尽快处理\n"
    ).encode()
    for name, content, content_type, kind in (
        ("alipay-payment.png", png.getvalue(), "image/png", EvidenceKind.PAYMENT_VOUCHER),
        ("kefu-chat.txt", chat, "text/plain", EvidenceKind.CHAT_LOG),
    ):
        evidence_add(
            bundle=case.evidence_bundle,
            actor=owner,
            file=SimpleUploadedFile(name, content, content_type=content_type),
            kind=kind,
            now=at,
        )
