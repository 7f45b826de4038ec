"""A triager's morning in Django admin, in a real browser: sign in, filter the overdue
cases, take one, record the platform's answer on it, ask another complainant for more
evidence; each complainant then sees what happened to their case in the portal.

Screenshots of the list and the case page at 1280 px land in test-artifacts/.
"""

from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone

from complaints.access import roles_ensure
from complaints.choices import EventKind
from escalation.selectors import stage_current
from tests.browser.conftest import PASSWORD, new_page, screenshot
from tests.factories import StaffFactory, UserFactory, case_filed


def _complainant(username: str) -> Any:
    user = UserFactory(username=username, email=f"{username}@example.com")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _portal_page(browser: Any, base: str, user: Any, reference: str) -> Any:
    page = new_page(browser)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url("**/cases/")
    page.goto(f"{base}/cases/{reference}/")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return page


def _run_action(page: Any, reference: str, action: str) -> None:
    """Tick one case in the list by its row and run a list action on it."""
    row = page.locator("#result_list tbody tr", has_text=reference)
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_a_triagers_morning(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    ten_days_ago = timezone.now() - timedelta(days=10)
    li, wang = _complainant("li.lei"), _complainant("wang.fang")
    # Filed before the triager joined, so nobody owns them yet; both long overdue.
    lost = case_filed(complainant=li, now=ten_days_ago, description="付款成功但订单消失")
    silent = case_filed(complainant=wang, now=ten_days_ago, description="卡密无效,客服不回")
    fresh = case_filed(complainant=wang, now=timezone.now())  # not overdue: filtered out
    triager_group, _supervisor = roles_ensure()
    triager = StaffFactory(username="tina")
    triager.set_password(PASSWORD)
    triager.save()
    triager.groups.add(triager_group)

    page = new_page(browser)
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", "tina")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")

    page.goto(f"{base}/admin/complaints/complaintcase/?deadline=overdue")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text(fresh.reference)
    expect(rows.first).to_contain_text("逾期")  # "overdue 10 d" in the deadline column
    screenshot(page, "triage-01-overdue-list")

    # Take the lost order.
    _run_action(page, lost.reference, "assign_to_me")
    expect(page.locator(".messagelist")).to_contain_text("1")
    lost.refresh_from_db()
    assert lost.assigned_to == triager

    # Record the platform's answer on it.
    page.goto(f"{base}/admin/complaints/complaintcase/?deadline=overdue")
    _run_action(page, lost.reference, "record_response")
    page.select_option("select[name=source]", "respondent")
    page.fill("textarea[name=text]", "平台客服回复:已补发订单,请查收")
    page.click("input[name=apply]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    # Ask the other complainant for more evidence: first responder, so it is hers now.
    page.goto(f"{base}/admin/complaints/complaintcase/?deadline=overdue")
    _run_action(page, silent.reference, "request_evidence")
    page.fill("textarea[name=message]", "请上传卡密截图和付款凭证")
    page.click("input[name=apply]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    silent.refresh_from_db()
    assert silent.assigned_to == triager
    assert stage_current(silent).paused_at is not None  # the clock waits on her upload

    # The case page: the timeline in words, with the triager's name on each step.
    page.goto(f"{base}/admin/complaints/complaintcase/{lost.pk}/change/")
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("body")).to_contain_text("已补发订单")
    expect(page.locator("body")).not_to_contain_text('{"')  # no raw JSON
    screenshot(page, "triage-02-case-page")
    kinds = list(lost.events.values_list("kind", "actor__username"))
    assert (EventKind.ASSIGNED, "tina") in kinds
    assert (EventKind.RESPONSE_RECORDED, "tina") in kinds

    # Each complainant sees their own news, and only their own.
    li_page = _portal_page(browser, base, li, lost.reference)
    expect(li_page.locator("body")).to_contain_text("已补发订单")
    screenshot(li_page, "triage-03-complainant-sees-answer")
    wang_page = _portal_page(browser, base, wang, silent.reference)
    expect(wang_page.locator("body")).to_contain_text("请上传卡密截图和付款凭证")
    expect(wang_page.locator("body")).not_to_contain_text("已补发订单")
    expect(wang_page.locator(".deadline.paused")).to_be_visible()
    screenshot(wang_page, "triage-04-complainant-asked-for-evidence")
