"""One stage per tier a case reaches, with its response clocks."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .ladder import Tier


class StageCloseReason(models.TextChoices):
    EXPIRED = "expired", _("Deadline passed: escalated")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn by the complainant")
    CLOSED = "closed", _("Closed by staff")
    ESCALATED_BY_STAFF = "escalated_by_staff", _("Escalated by staff")


class TierStage(models.Model):
    """A case's time at one tier of the ladder.

    Three clocks run per stage: first response, update and resolution. ``next_due_at``
    is the earliest of the clocks still running; the sweep finds overdue stages by it
    alone, through a partial index over open, unpaused stages, so its cost follows the
    number of overdue stages and not the number of cases.
    """

    case = models.ForeignKey(
        "complaints.ComplaintCase",
        on_delete=models.PROTECT,
        related_name="stages",
        verbose_name=_("case"),
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    update_due_at = models.DateTimeField(_("update due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    paused_at = models.DateTimeField(
        _("paused at"),
        null=True,
        blank=True,
        help_text=_("The clocks stand still while the case waits on the complainant."),
    )
    filed_at = models.DateTimeField(
        _("filed at this tier"),
        null=True,
        blank=True,
        help_text=_(
            "When the complainant filed with this tier; it interrupts the limitation "
            "period (Civil Code art. 195)."
        ),
    )
    external_reference = models.CharField(
        _("external reference"),
        max_length=120,
        blank=True,
        help_text=_("The ticket or complaint number this tier gave (e.g. a 12315 number)."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=32, choices=StageCloseReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("tier stage")
        verbose_name_plural = _("tier stages")
        ordering = ["case", "opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(closed_at__isnull=True),
                name="stage_one_open_per_case",
            ),
            models.UniqueConstraint(fields=["case", "tier"], name="stage_once_per_tier"),
        ]
        indexes = [
            models.Index(
                fields=["next_due_at"],
                condition=models.Q(closed_at__isnull=True, paused_at__isnull=True),
                name="stage_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_tier_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
