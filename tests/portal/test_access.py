"""Who may open which page: the owner; others get 404; anonymous visitors go to sign-in."""

import pytest
from django.test import Client
from django.urls import reverse

from evidence.models import EvidenceItem
from evidence.services import evidence_add
from tests.factories import case_filed
from tests.portal.conftest import client_for
from tests.portal.helpers import png_file

pytestmark = pytest.mark.django_db

CASE_PAGES = [
    ("get", "portal:case_detail"),
    ("get", "portal:case_document"),
    ("get", "portal:case_withdraw"),
    ("post", "portal:case_withdraw"),
    ("post", "portal:case_add_evidence"),
    ("post", "portal:case_message"),
    ("post", "portal:case_reference"),
    ("post", "portal:case_accept_response"),
    ("post", "portal:case_reject_response"),
    ("post", "portal:case_resolve"),
]
OWN_PAGES = [
    ("get", reverse("portal:case_list")),
    ("get", reverse("portal:file_start")),
    ("get", reverse("portal:file_step", args=[1])),
    ("get", reverse("portal:platform_search") + "?q=x"),
    ("get", reverse("portal:profile")),
]


@pytest.fixture
def alice_case(complainant):  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    evidence_add(
        bundle=case.evidence_bundle, actor=complainant, file=png_file(), kind="payment_voucher"
    )
    return case


def _call(client: Client, method: str, url: str):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url)


@pytest.mark.parametrize(("method", "name"), CASE_PAGES)
def test_anonymous_is_sent_to_sign_in(alice_case, method, name) -> None:  # type: ignore[no-untyped-def]
    url = reverse(name, args=[alice_case.reference])
    response = _call(Client(), method, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.parametrize(("method", "url"), OWN_PAGES)
def test_anonymous_is_sent_to_sign_in_from_own_pages(method, url) -> None:  # type: ignore[no-untyped-def]
    response = _call(Client(), method, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("method", "name"), CASE_PAGES)
def test_another_complainant_gets_404(alice_case, outsider, method, name) -> None:  # type: ignore[no-untyped-def]
    url = reverse(name, args=[alice_case.reference])
    assert _call(client_for(outsider), method, url).status_code == 404


@pytest.mark.parametrize(("method", "name"), CASE_PAGES)
def test_staff_use_the_admin_not_the_portal(alice_case, triager, method, name) -> None:  # type: ignore[no-untyped-def]
    url = reverse(name, args=[alice_case.reference])
    assert _call(client_for(triager), method, url).status_code == 404


@pytest.mark.parametrize("name", [n for m, n in CASE_PAGES if m == "get"])
def test_the_owner_sees_their_pages(alice_case, complainant, name) -> None:  # type: ignore[no-untyped-def]
    response = client_for(complainant).get(reverse(name, args=[alice_case.reference]))
    assert response.status_code == 200


@pytest.mark.parametrize(("method", "url"), OWN_PAGES)
def test_signed_in_user_sees_own_pages(complainant, method, url) -> None:  # type: ignore[no-untyped-def]
    response = _call(client_for(complainant), method, url)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert not response["Location"].startswith(reverse("account_login"))


def test_the_evidence_links_on_the_case_page_open_for_their_owner_only(
    alice_case, complainant, outsider
) -> None:
    item = EvidenceItem.objects.get(bundle__case=alice_case)
    page = client_for(complainant).get(reverse("portal:case_detail", args=[alice_case.reference]))
    download = reverse("evidence:item_download", args=[item.pk])
    thumbnail = reverse("evidence:item_thumbnail", args=[item.pk])
    links = [
        download,
        thumbnail,
        reverse("evidence:receipt", args=[alice_case.reference]),
        reverse("evidence:package", args=[alice_case.reference]),
        reverse("evidence:summary_pdf", args=[alice_case.reference]),
    ]
    body = page.content.decode()
    for url in links:
        assert f'href="{url}"' in body or f'src="{url}"' in body, url
        assert Client().get(url).status_code == 404
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(complainant).get(url).status_code == 200
    response = client_for(complainant).get(download)
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "attachment" in response["Content-Disposition"]
    assert client_for(complainant).get(thumbnail)["Content-Type"] == "image/jpeg"


def test_another_users_draft_file_cannot_be_removed(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    from portal.drafts import draft_current

    draft = draft_current(owner=complainant)
    item = evidence_add(
        bundle=draft.bundle, actor=complainant, file=png_file(), kind="payment_voucher"
    )
    url = reverse("portal:file_evidence_remove", args=[item.pk])
    assert client_for(outsider).post(url).status_code == 404
    assert EvidenceItem.objects.filter(pk=item.pk).exists()
