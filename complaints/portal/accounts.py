"""django-allauth glue: the complainant's preferred language follows them to every device."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def language_apply(response: HttpResponse, language: str) -> HttpResponse:
    """Remember ``language`` in the cookie LocaleMiddleware reads."""
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
    return response


class PortalAccountAdapter(DefaultAccountAdapter):
    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        profile = getattr(user, "profile", None)
        if profile is not None:
            language_apply(response, profile.preferred_language)
        return response


def complainant_language(user: Any) -> str:
    """The language to write to ``user`` in: their profile's choice, else the site's default.

    Emails and documents are made without a request (in a worker, or for someone else's
    action), so the language comes from the profile, not from the page being viewed.
    """
    from complaints.models import Profile

    language = (
        Profile.objects.filter(user_id=getattr(user, "pk", None))
        .values_list("preferred_language", flat=True)
        .first()
    )
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
