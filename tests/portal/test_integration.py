"""The portal with the other parts: emails in the complainant's language, the limitation
period on the case page, and the portal's tables in the admin."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.urls import reverse

from casework import actions
from casework.sweep import sweep_overdue
from complaints.models import Profile
from notifications.models import OutboxEmail
from notifications.outbox import outbox_drain
from portal.drafts import draft_current
from portal.models import FilingDraft
from tests.factories import case_filed
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)
SECOND = timedelta(seconds=1)


def _prefers(user, language: str) -> None:  # type: ignore[no-untyped-def]
    Profile.objects.create(user=user, preferred_language=language)


# --- one email at filing ----------------------------------------------------------------


def test_filing_sends_one_email_in_the_complainants_language(
    complainant, django_capture_on_commit_callbacks
) -> None:
    _prefers(complainant, "en")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_filed(complainant=complainant, now=T0)
    [message] = mail.outbox
    assert message.subject == f"Complaint {case.reference} filed"
    assert "is filed. Your case page:" in message.body
    assert "What to do:" in message.body
    assert "Evidence receipt" in message.body
    assert OutboxEmail.objects.filter(case=case).count() == 1


def test_filing_email_defaults_to_chinese_without_a_profile(
    complainant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = case_filed(complainant=complainant, now=T0)
    [message] = mail.outbox
    assert message.subject == f"投诉 {case.reference} 已提交"


# --- response received ------------------------------------------------------------------


def test_a_response_from_the_platform_emails_the_complainant_once(
    complainant, triager, django_capture_on_commit_callbacks
) -> None:
    _prefers(complainant, "en")
    with django_capture_on_commit_callbacks(execute=True):  # the filing email goes out
        case = case_filed(complainant=complainant, now=T0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.case_record_response(
            case=case,
            actor=triager,
            source="respondent",
            text="We will refund within 3 days.",
            now=T0 + timedelta(hours=2),
        )
    [message] = mail.outbox
    assert message.to == [complainant.email]
    assert message.subject == f"Case {case.reference}: a response came in"
    assert "We will refund within 3 days." in message.body
    assert "accept it or reject it" in message.body


def test_a_response_the_complainant_records_sends_them_nothing(
    complainant, django_capture_on_commit_callbacks
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.case_record_response(
            case=case, actor=complainant, source="complainant", now=T0 + timedelta(hours=2)
        )
    assert mail.outbox == []


# --- reminders and escalations from the sweep --------------------------------------------


def test_reminder_and_escalation_reach_the_complainant_in_their_language(
    complainant,
) -> None:
    _prefers(complainant, "en")
    case = case_filed(complainant=complainant, now=T0)
    mail.outbox.clear()
    warn = T0 + timedelta(hours=22)
    sweep_overdue(now=warn)
    outbox_drain(now=warn)
    [reminder] = mail.outbox
    assert reminder.subject.startswith(f"Case {case.reference}: a deadline runs out at")
    mail.outbox.clear()
    due = T0 + timedelta(hours=24)
    sweep_overdue(now=due)
    outbox_drain(now=due)
    [escalated] = [m for m in mail.outbox if m.to == [complainant.email]]
    assert escalated.subject == (
        f"Case {case.reference} moved to tier 2 of 4: Public watchdog (12315 / Black Cat)"
    )
    assert "What to do:" in escalated.body
    # Both forms of the new tier, each under its name.
    assert "12315 complaint form\n\n" in escalated.body
    assert "Black Cat public text\n\n" in escalated.body


def test_reminder_without_a_profile_stays_in_chinese(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    mail.outbox.clear()
    warn = T0 + timedelta(hours=22)
    sweep_overdue(now=warn)
    outbox_drain(now=warn)
    [reminder] = mail.outbox
    assert reminder.subject.startswith(f"案件 {case.reference}")


# --- limitation period on the case page ---------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "warned"),
    [(-SECOND, False), (timedelta(0), True), (SECOND, True)],
)
def test_case_page_warns_from_30_months_on(complainant, offset, warned) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    url = reverse("portal:case_detail", args=[case.reference])
    with time_machine.travel(T0 + relativedelta(months=30) + offset, tick=False):
        body = client_for(complainant, "en").get(url).content.decode()
    expires = (T0 + relativedelta(years=3)).strftime("%Y-%m-%d")
    assert f"runs until {expires}" in body
    assert ("More than 30 months have passed" in body) is warned


def test_case_page_says_when_the_limitation_period_ran_out(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    with time_machine.travel(T0 + relativedelta(years=3), tick=False):
        client = client_for(complainant)
        body = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    assert "三年诉讼时效已于" in body
    assert "已超过 30 个月" not in body


# --- admin -------------------------------------------------------------------------------


def test_staff_find_profiles_and_drafts_in_the_admin(complainant, supervisor) -> None:  # type: ignore[no-untyped-def]
    Profile.objects.create(user=complainant, name="王小明", phone="13800000000")
    open_draft = draft_current(owner=complainant)
    filed = case_filed(complainant=complainant, now=T0)
    FilingDraft.objects.create(owner=complainant, bundle=filed.evidence_bundle, case=filed)
    client = client_for(supervisor)

    profiles = client.get(reverse("admin:complaints_profile_changelist") + "?q=138000")
    assert "王小明" in profiles.content.decode()

    drafts = reverse("admin:portal_filingdraft_changelist")
    listed = client.get(drafts).content.decode()
    # An unfiled draft is the complainant's alone: not listed, not openable by staff.
    assert reverse("admin:portal_filingdraft_change", args=[open_draft.pk]) not in listed
    assert filed.reference in listed
    change = client.get(reverse("admin:portal_filingdraft_change", args=[open_draft.pk]))
    assert change.status_code == 302
    filed_draft = FilingDraft.objects.get(case=filed)
    # What the complainant typed is looked at, never edited or added by staff.
    change = client.get(reverse("admin:portal_filingdraft_change", args=[filed_draft.pk]))
    assert change.status_code == 200
    assert 'name="step"' not in change.content.decode()
    assert client.get(reverse("admin:portal_filingdraft_add")).status_code == 403
