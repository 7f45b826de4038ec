"""The case page asks what the documents ahead lack, in a real browser, and the answers
take the question away."""

from typing import Any

from allauth.account.models import EmailAddress

from complaints.models import Profile
from tests.browser.conftest import PASSWORD, new_page, screenshot
from tests.factories import UserFactory, case_filed


def _signed_in(browser: Any, base: str, username: str, width: int) -> tuple[Any, Any]:
    user = UserFactory(username=username, email=f"{username}@example.com")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page = new_page(browser, width=width)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url("**/cases/")
    return user, page


def test_the_case_page_asks_for_what_12315_needs_and_forgets_it_once_answered(  # type: ignore[no-untyped-def]
    browser, live_server
) -> None:
    from playwright.sync_api import expect

    user, page = _signed_in(browser, live_server.url, "needs", width=390)
    case = case_filed(complainant=user)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    needs = page.locator("[data-document-needs]")
    expect(needs).to_be_visible()
    expect(needs.locator("[data-need]")).to_have_count(4)
    expect(needs).to_contain_text("12315 只受理写明投诉人姓名、电话和通讯地址的投诉。")
    needs.scroll_into_view_if_needed()
    screenshot(page, "identity-01-asked")

    needs.get_by_label("电话").fill("打我电话")
    needs.get_by_role("button", name="保存这些回答").click()
    expect(needs.locator("[data-need=phone] .errorlist")).to_contain_text("请输入电话号码")
    screenshot(page, "identity-02-refused")

    needs.get_by_label("真实姓名").fill("王小明")
    needs.get_by_label("电话").fill("13812345678")
    needs.get_by_label("通讯地址").fill("广东省深圳市南山区某某路 1 号")
    needs.get_by_label("否").check()
    needs.get_by_role("button", name="保存这些回答").click()
    expect(page.locator("[data-document-needs]")).to_have_count(0)
    expect(page.locator("[data-amended]")).to_contain_text("否")
    screenshot(page, "identity-03-answered")
    profile = Profile.objects.get(user=user)
    assert (profile.name, profile.phone) == ("王小明", "13812345678")
