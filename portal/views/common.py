"""What every portal page shares: the health check, error messages, evidence links."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import translation

from complaints.errors import DomainError
from config.health import health_report
from evidence.models import EvidenceItem


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and the run script: each dependency's state (config/health.py).

    200 while the database answers (``degraded`` if the cache or broker does not), 503
    when it does not."""
    status, body = health_report()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def signed_in_user(request: HttpRequest) -> User:
    """The user of a view behind ``login_required``, who is signed in by then."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def domain_message(exc: DomainError) -> str:
    details = [str(m) for messages_ in exc.fields.values() for m in messages_]
    return " ".join([str(exc.message), *details]) if details else str(exc.message)


def page_language() -> str:
    """The language documents are written in: the page's, as the escalation templates name it."""
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def item_urls(item: EvidenceItem) -> dict[str, str | None]:
    """The evidence part's access-checked links for an item (thumbnail only for images)."""
    thumbnail = None
    if item.thumbnail:
        thumbnail = reverse("evidence:item_thumbnail", kwargs={"item_pk": item.pk})
    return {
        "download": reverse("evidence:item_download", kwargs={"item_pk": item.pk}),
        "thumbnail": thumbnail,
    }
