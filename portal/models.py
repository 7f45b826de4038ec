"""The portal's own table: complaints still being written in the filing wizard."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import ComplaintCase


class FilingDraft(models.Model):
    """A complaint still being written in the filing wizard, saved at every step.

    ``data`` holds what the complainant typed, step by step, exactly as typed (also when it
    did not validate), so nothing is lost when the browser closes. Once filed, ``case`` is
    set and the draft is kept as the record of what was submitted.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="filing_drafts",
        verbose_name=_("owner"),
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    data = models.JSONField(_("answers"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    bundle = models.OneToOneField(
        "evidence.EvidenceBundle",
        on_delete=models.PROTECT,
        related_name="filing_draft",
        verbose_name=_("evidence bundle"),
    )
    case = models.OneToOneField(
        ComplaintCase,
        on_delete=models.PROTECT,
        related_name="filing_draft",
        null=True,
        blank=True,
        verbose_name=_("filed as"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("filing draft")
        verbose_name_plural = _("filing drafts")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(
                fields=["owner", "-updated_at"],
                condition=models.Q(case__isnull=True),
                name="draft_owner_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.step}"
