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
