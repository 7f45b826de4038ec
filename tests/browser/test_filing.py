"""A new complainant, in a real browser: sign up, file a lost-order complaint, follow it."""

import io
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from PIL import Image

from complaints.models import ComplaintCase
from tests.browser.conftest import PASSWORD, confirmation_path, new_page, screenshot
from tests.factories import UserFactory

ORDER_NUMBER = "20260301201507001"


def _png(path: Path, colour: str) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _sign_up(page: Any, base: str, email: str, shots: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    screenshot(page, f"{shots}-01-signup")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form[action$='/accounts/signup/'] button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    page.goto(base + confirmation_path(email))
    page.get_by_role("button", name="确认").click()
    page.wait_for_url("**/cases/")


def _file_lost_order(page: Any, base: str, files: list[Path], shots: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="我要投诉").first.click()
    page.wait_for_url("**/file/step/1/")
    page.get_by_label("平台").fill("星辰卡盟")
    page.get_by_label("订单号").fill(ORDER_NUMBER)
    page.get_by_label("商品:", exact=True).fill("腾讯视频 SVIP 月卡")
    page.get_by_label("商品类型").select_option("membership")
    page.get_by_label("支付金额（元）").fill("30.00")
    page.get_by_label("付款时间").fill("2026-03-01T20:15:07")
    page.get_by_label("支付方式").select_option("alipay")
    page.get_by_label("支付流水号").fill("2026030122001400000001")
    screenshot(page, f"{shots}-02-step1-order")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url("**/file/step/2/")
    page.get_by_label("掉单:已付款但订单未同步").check()
    page.get_by_label("描述经过").fill("付款成功后订单一直显示未支付，客服不回复。")
    page.get_by_label("时间线（选填）").fill("2026-03-01 20:15:07 支付宝付款成功")
    screenshot(page, f"{shots}-03-step2-problem")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url("**/file/step/3/")
    page.get_by_label("文件内容").select_option("payment_voucher")
    page.set_input_files("input[name=files]", [str(f) for f in files])
    page.get_by_role("button", name="上传").click()
    expect(page.locator(".evidence-item")).to_have_count(len(files))
    expect(page.locator(".checklist")).to_contain_text("支付凭证")
    screenshot(page, f"{shots}-04-step3-evidence")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url("**/file/step/4/")
    page.get_by_label("全额原路退款").check()
    page.get_by_label("要求金额（元）").fill("30.00")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url("**/file/step/5/")
    expect(page.locator("[data-document]")).to_contain_text("星辰卡盟 客服 / 投诉处理部门")
    expect(page.locator("[data-document]")).to_contain_text(ORDER_NUMBER)
    screenshot(page, f"{shots}-05-step5-review")
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_url("**/cases/KM-*/")


def _check_case_and_download(page: Any, base: str, shots: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    case = ComplaintCase.objects.get(order__order_number=ORDER_NUMBER)
    expect(page.locator("h1")).to_contain_text(case.reference)
    expect(page.locator("time[data-countdown]")).to_contain_text("剩余")
    expect(page.locator(".evidence-item")).to_have_count(2)
    screenshot(page, f"{shots}-06-case")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载本文书").click()
    download = download_info.value
    assert download.suggested_filename == f"{case.reference}-platform-letter-zh-hans.txt"
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    letter = saved.read_text(encoding="utf-8")
    assert ORDER_NUMBER in letter
    assert case.reference in letter
    page.get_by_role("link", name="我的投诉").first.click()
    expect(page.locator(".case-card")).to_contain_text(case.reference)
    expect(page.locator(".case-card")).to_contain_text("下一步")
    screenshot(page, f"{shots}-07-my-cases")


@pytest.mark.parametrize(
    ("shots", "width", "height"), [("desktop", 1280, 900), ("phone", 360, 740)]
)
def test_new_user_files_a_lost_order_complaint(  # type: ignore[no-untyped-def]
    browser, live_server, tmp_path, shots, width, height
) -> None:
    page = new_page(browser, width=width, height=height)
    files = [_png(tmp_path / "payment.png", "green"), _png(tmp_path / "order.png", "blue")]
    _sign_up(page, live_server.url, f"{shots}@example.com", shots)
    _file_lost_order(page, live_server.url, files, shots)
    _check_case_and_download(page, live_server.url, shots, tmp_path)
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


def test_the_draft_survives_a_reload(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    user = UserFactory(username="reloader", email="reloader@example.com")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url("**/cases/")

    page.goto(f"{live_server.url}/file/")
    page.get_by_label("平台").fill("月光发卡")
    with page.expect_response(
        lambda r: r.status == 204 and "A-778899" in (r.request.post_data or "")
    ):
        page.get_by_label("订单号").fill("A-778899")
    page.reload()
    expect(page.get_by_label("订单号")).to_have_value("A-778899")
    expect(page.get_by_label("平台")).to_have_value("月光发卡")
    screenshot(page, "reload-01-step1-after-reload")

    # Closing the browser and coming back later resumes at the step reached.
    page.get_by_label("商品:", exact=True).fill("Steam 充值卡")
    page.get_by_label("支付金额（元）").fill("100")
    page.get_by_role("button", name="保存并继续").click()
    page.wait_for_url("**/file/step/2/")
    page.context.close()
    again = new_page(browser)
    again.goto(f"{live_server.url}/accounts/login/")
    again.fill("input[name=login]", user.email)
    again.fill("input[name=password]", PASSWORD)
    again.click("form[action$='/accounts/login/'] button[type=submit]")
    again.wait_for_url("**/cases/")
    again.goto(f"{live_server.url}/file/")
    again.wait_for_url("**/file/step/2/")
    again.context.close()


def test_keyboard_reaches_the_content_and_the_language_switches(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = new_page(browser, width=360, height=740)
    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("付了钱却没到账")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_label("语言").select_option("en")
    expect(page.locator("h1")).to_contain_text("Paid but got nothing?")
    screenshot(page, "home-en-phone")
    page.context.close()
