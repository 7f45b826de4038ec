"""Who may fetch evidence: the complainant and permitted staff; everyone else gets 404."""

import hashlib

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.evidence import samples
from tests.factories import StaffFactory, case_filed


@pytest.fixture
def filed(complainant, bundle, add):  # type: ignore[no-untyped-def]
    photo = add(bundle, "支付凭证.jpg", samples.jpeg_with_gps())
    case = case_filed(complainant=complainant, bundle=bundle)
    return case, photo


def _urls(case, item) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        reverse("evidence:item_download", kwargs={"item_pk": item.pk}),
        reverse("evidence:item_redacted", kwargs={"item_pk": item.pk}),
        reverse("evidence:item_thumbnail", kwargs={"item_pk": item.pk}),
        reverse("evidence:receipt", kwargs={"reference": case.reference}),
        reverse("evidence:package", kwargs={"reference": case.reference}),
        reverse("evidence:summary_pdf", kwargs={"reference": case.reference}),
    ]


def test_the_complainant_and_permitted_staff_get_every_download(
    filed, complainant, triager
) -> None:
    case, item = filed
    for user in (complainant, triager):
        client = Client()
        client.force_login(user)
        for url in _urls(case, item):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["X-Content-Type-Options"] == "nosniff"


def test_others_and_anonymous_visitors_get_404(filed, outsider) -> None:  # type: ignore[no-untyped-def]
    case, item = filed
    staff_without_permission = StaffFactory(username="stan")
    logged_in = Client()
    logged_in.force_login(outsider)
    plain_staff = Client()
    plain_staff.force_login(staff_without_permission)
    for client in (Client(), logged_in, plain_staff):
        for url in _urls(case, item):
            assert client.get(url).status_code == 404, url
    missing = reverse("evidence:item_download", kwargs={"item_pk": item.pk + 1000})
    assert logged_in.get(missing).status_code == 404


def test_the_download_is_the_original_as_an_attachment(filed, complainant) -> None:  # type: ignore[no-untyped-def]
    _, item = filed
    client = Client()
    client.force_login(complainant)
    response = client.get(reverse("evidence:item_download", kwargs={"item_pk": item.pk}))
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == item.sha256
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%94%AF" in response["Content-Disposition"]


@override_settings(EVIDENCE_X_ACCEL_REDIRECT_PREFIX="/protected-evidence/")
def test_nginx_sends_the_file_when_configured(filed, complainant) -> None:  # type: ignore[no-untyped-def]
    _, item = filed
    client = Client()
    client.force_login(complainant)
    response = client.get(reverse("evidence:item_download", kwargs={"item_pk": item.pk}))
    assert response["X-Accel-Redirect"] == f"/protected-evidence/{item.file.name}"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_draft_item_is_visible_to_its_owner_only(complainant, outsider, bundle, add) -> None:  # type: ignore[no-untyped-def]
    item = add(bundle, "a.pdf", samples.pdf())
    url = reverse("evidence:item_download", kwargs={"item_pk": item.pk})
    owner, other = Client(), Client()
    owner.force_login(complainant)
    other.force_login(outsider)
    assert owner.get(url).status_code == 200
    assert other.get(url).status_code == 404


def test_staff_see_the_checklist_and_downloads_in_the_admin(filed, supervisor) -> None:  # type: ignore[no-untyped-def]
    case, item = filed
    client = Client()
    client.force_login(supervisor)
    bundle = case.evidence_bundle
    page = client.get(reverse("admin:evidence_evidencebundle_change", args=[bundle.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "订单记录" in text and "必需" in text  # the order record is still missing
    assert reverse("evidence:item_thumbnail", kwargs={"item_pk": item.pk}) in text
    assert reverse("evidence:package", kwargs={"reference": case.reference}) in text
