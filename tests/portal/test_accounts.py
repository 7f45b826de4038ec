"""Sign-up, email confirmation, sign-in throttling and the profile, as a complainant sees them."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from complaints.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _sign_up(client: Client, email: str = "new@example.com") -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9"},
    )
    assert response.status_code == 302


def test_sign_up_page_is_in_chinese_by_default() -> None:
    response = Client().get(reverse("account_signup"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "注册" in body
    assert '<html lang="zh-hans">' in body


def test_sign_up_page_in_english_when_asked() -> None:
    response = Client(headers={"accept-language": "en"}).get(reverse("account_signup"))
    assert "Sign Up" in response.content.decode()


def test_sign_up_sends_a_confirmation_and_confirming_signs_in() -> None:
    client = Client()
    _sign_up(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    # Not signed in before the address is confirmed.
    assert client.get(reverse("portal:case_list")).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    response = client.post(link.group(1))
    assert response.status_code == 302
    assert client.get(reverse("portal:case_list")).status_code == 200
    assert get_user_model().objects.get(email="new@example.com").emailaddress_set.get().verified


def test_failed_logins_are_throttled() -> None:
    user = UserFactory(username="bob", email="bob@example.com")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    url = reverse("account_login")
    for _ in range(4):
        response = client.post(url, {"login": "bob@example.com", "password": "wrong"})
        assert response.status_code == 200
    # The fifth failure locks the address out for this account (django-axes, in the
    # database: 429 and its page, in Chinese).
    locked = client.post(url, {"login": "bob@example.com", "password": "wrong"})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    # The next attempt is refused even with the right password; allauth's own counter (in
    # the cache) answers first, with its message on the sign-in form.
    response = client.post(url, {"login": "bob@example.com", "password": "pass-for-tests-1"})
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_right_password_signs_in_before_the_limit() -> None:
    user = UserFactory(username="carol", email="carol@example.com")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    client.post(reverse("account_login"), {"login": "carol@example.com", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "carol@example.com", "password": "pass-for-tests-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_list")


def test_password_reset_mails_a_link() -> None:
    user = UserFactory(username="dave", email="dave@example.com")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = Client().post(reverse("account_reset_password"), {"email": "dave@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_profile_saves_and_switches_the_language(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(
        reverse("portal:profile"),
        {"name": "王小明", "phone": "+86 138 0000 0000", "preferred_language": "en"},
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=complainant)
    assert (profile.name, profile.preferred_language) == ("王小明", "en")
    assert response.cookies["django_language"].value == "en"
    assert "Profile" in alice_client.get(reverse("portal:profile")).content.decode()


def test_profile_refuses_a_bad_phone_and_keeps_the_input(alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(
        reverse("portal:profile"),
        {"name": "王小明", "phone": "call me", "preferred_language": "zh-hans"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "王小明" in body
    assert "请输入电话号码，只能包含数字。" in body


def test_signing_in_applies_the_preferred_language(complainant) -> None:  # type: ignore[no-untyped-def]
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=complainant, email=complainant.email, verified=True, primary=True
    )
    Profile.objects.create(user=complainant, preferred_language="en")
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": complainant.email, "password": "pass-for-tests-1"}
    )
    assert response.cookies["django_language"].value == "en"
    assert "My cases" in client.get(reverse("portal:case_list")).content.decode()


def test_language_switch_to_english_and_back() -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sign up and file a complaint" in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "注册并投诉" in client.get("/").content.decode()
