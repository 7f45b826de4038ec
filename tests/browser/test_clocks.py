"""The clocks' story in a real browser: an accepted promise that is not kept sends the case
back up the ladder; an upload answers a request for evidence and the countdown returns."""

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone
from PIL import Image

from casework import actions
from casework.sweep import sweep_overdue
from complaints.tiers import Tier
from escalation.selectors import stage_current
from tests.browser.conftest import PASSWORD, new_page, screenshot
from tests.factories import StaffFactory, UserFactory, case_filed


def _signed_in(browser: Any, base: str, username: str) -> tuple[Any, Any]:
    user = UserFactory(username=username, email=f"{username}@example.com")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page = new_page(browser)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url("**/cases/")
    return user, page


def _open_all(page: Any) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def test_an_accepted_promise_not_kept_returns_the_case_to_the_ladder(  # type: ignore[no-untyped-def]
    browser, live_server
) -> None:
    from playwright.sync_api import expect

    triager = StaffFactory(username="tina-b")
    triager.user_permissions.add(*_perms("triage_case", "view_complaintcase"))
    user, page = _signed_in(browser, live_server.url, "promise")
    case = case_filed(complainant=user, now=timezone.now())
    actions.case_record_response(
        case=case, actor=triager, source="respondent", text="3个工作日内原路退款"
    )
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "complainant_decides")
    page.click("form[action$='/response/accept/'] button[type=submit]")
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "fulfilment")
    screenshot(page, "clocks-01-accepted")
    promised = stage_current(case).fulfilment_due_at
    # Time passes the promise: the case is back on the ladder with the time it had left.
    assert sweep_overdue(now=promised).returned == 1
    page.reload()
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "respondent")
    # ...and climbs when that runs out.
    assert sweep_overdue(now=stage_current(case).next_due_at).escalated == 1
    page.reload()
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG
    expect(page.locator("[data-waiting]")).to_have_attribute(
        "data-waiting", "complainant_files_outside"
    )
    screenshot(page, "clocks-02-climbed")


def test_an_upload_answers_a_request_for_evidence_and_the_countdown_returns(  # type: ignore[no-untyped-def]
    browser, live_server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    triager = StaffFactory(username="tina-c")
    triager.user_permissions.add(*_perms("triage_case", "view_complaintcase"))
    user, page = _signed_in(browser, live_server.url, "uploader")
    case = case_filed(complainant=user, now=timezone.now() - timedelta(hours=1))
    actions.case_request_evidence(case=case, actor=triager, message="请上传订单记录")
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.locator(".deadline.paused")).to_be_visible()
    expect(page.locator("time[data-countdown]")).to_have_count(0)
    picture = tmp_path / "order.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), "green").save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    _open_all(page)
    form = page.locator("form[action$='/evidence/']")
    form.locator("select[name=kind]").select_option("order_record")
    form.locator("input[name=files]").set_input_files(str(picture))
    form.locator("button[type=submit]").click()
    # The upload finishes (the item is listed) before the complainant leaves the page.
    expect(page.locator(".evidence-item")).to_have_count(1)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.locator("time[data-countdown]").first).to_be_visible()
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "respondent")
    screenshot(page, "clocks-03-running-again")
    assert stage_current(case).paused_at is None


def _perms(*codenames: str) -> list[Any]:
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(codename__in=codenames))
