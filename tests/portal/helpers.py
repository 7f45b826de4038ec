"""Building blocks for portal tests: valid wizard answers and small real evidence files."""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

ORDER = {
    "platform": "星辰卡盟",
    "order_number": "20260301201507001",
    "product_name": "腾讯视频 SVIP 月卡",
    "product_kind": "membership",
    "amount": "30.00",
    "paid_at": "2026-03-01T20:15:07",
    "payment_method": "alipay",
    "payment_reference": "2026030122001400000001",
    "status_seen": "处理中",
}
PROBLEM = {
    "problem_type": "lost_order_unsynced",
    "description": "付款成功后订单一直显示未支付，客服不回复。",
    "harm_noticed_at": "2026-03-01T20:30:00",
    "timeline": "2026-03-01 20:15:07 支付宝付款成功\n2026-03-01 20:16:00 订单显示未支付",
}
DEMAND = {
    "demand_kind": "refund",
    "demand_amount": "30.00",
    "demand_within_hours": "24",
    "demand_text": "",
}


def step_url(step: int) -> str:
    return reverse("portal:file_step", kwargs={"step": step})


def png_file(
    name: str = "pay.png", colour: str | tuple[int, int, int] = "red"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def text_file(name: str = "chat.txt", text: str = "客服：请稍等") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def post_step(client: Client, step: int, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(step_url(step), {**data, "next": "1"}, **extra)


def wizard_to_review(client: Client, files: list[SimpleUploadedFile] | None = None) -> None:
    """Walk steps 1-4 with valid answers (and ``files`` as evidence)."""
    assert post_step(client, 1, ORDER).status_code == 302
    assert post_step(client, 2, PROBLEM).status_code == 302
    for upload in files or []:
        response = client.post(step_url(3), {"kind": "payment_voucher", "files": [upload]})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(step_url(3), {"next": "1"}).status_code == 302
    assert post_step(client, 4, DEMAND).status_code == 302
