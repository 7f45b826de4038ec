"""Reads of the core that need no access rule (case reads with theirs are in access.py)."""

from typing import Any

from django.conf import settings

from .models import Profile


def complainant_language(user: Any) -> str:
    """The language to write to ``user`` in: their profile's choice, else the site's default.

    Emails and documents are made without a request (in a worker, or for someone else's
    action), so the language comes from the profile, not from the page being viewed.
    """
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return settings.LANGUAGE_CODE
    language = (
        Profile.objects.filter(user_id=user_id).values_list("preferred_language", flat=True).first()
    )
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
