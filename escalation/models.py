"""Deadline policies, one stage per tier a case reaches with its clocks, and the outbox."""

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import Urgency
from complaints.tiers import Tier

from .deadlines import ClockRule, ClockUnit, PolicyTerms
from .workcalendar import Festival

SOURCES_FIRST_RESPONSE = _(
    "Platform: 24 hours, urgent 2 hours (DOMAIN.md, seeds 002 and 004; seed 001: escalate "
    "after 24 hours without reply). 12315: accept or refuse within 7 working days (art. 14 "
    "of the interim measures on market-regulation complaints). Payment: the merchant's "
    "first reply within 24 hours (WeChat Pay consumer complaint guide). Legal: none. "
    "Leave empty for a tier that does not run this clock."
)
SOURCES_UPDATE = _(
    "Restarts at the complainant's last message. Platform: first substantive feedback "
    "within 48 hours (seeds 002 and 004; catches the template reply followed by silence, "
    "seed 004). Legal: the check-in interval you choose (the articles give none). Leave "
    "empty for a tier that does not run this clock."
)
SOURCES_RESOLUTION = _(
    "Platform: complex disputes settled within 7 working days (seeds 002 and 004). "
    "12315: mediation ends 45 working days after acceptance (art. 21). Payment: resolved "
    "within 72 hours (WeChat Pay consumer complaint guide). Legal: none. Leave empty for "
    "a tier that does not run this clock."
)
UNIT_HELP = _(
    "Working days follow the mainland China calendar: the State Council's notices entered "
    "under Holiday notices, else the chinesecalendar package, else (for a year with no "
    "published arrangement) the statutory holidays by rule, marked provisional."
)


class DeadlinePolicy(models.Model):
    """How long each clock of a tier runs, per urgency; edited by supervisors.

    Stages copy these values when they open (``TierStage.terms``), so an edit here never
    moves a deadline already promised; a supervisor can recalculate chosen stages.
    """

    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    first_response_amount = models.PositiveIntegerField(
        _("first response within"), null=True, blank=True, help_text=SOURCES_FIRST_RESPONSE
    )
    first_response_unit = models.CharField(
        _("first response unit"),
        max_length=16,
        choices=ClockUnit.choices,
        default=ClockUnit.HOURS,
        help_text=UNIT_HELP,
    )
    update_amount = models.PositiveIntegerField(
        _("update within"), null=True, blank=True, help_text=SOURCES_UPDATE
    )
    update_unit = models.CharField(
        _("update unit"),
        max_length=16,
        choices=ClockUnit.choices,
        default=ClockUnit.HOURS,
        help_text=UNIT_HELP,
    )
    resolution_amount = models.PositiveIntegerField(
        _("resolution within"), null=True, blank=True, help_text=SOURCES_RESOLUTION
    )
    resolution_unit = models.CharField(
        _("resolution unit"),
        max_length=16,
        choices=ClockUnit.choices,
        default=ClockUnit.HOURS,
        help_text=UNIT_HELP,
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["tier", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "urgency"], name="policy_one_per_tier_urgency")
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} · {self.get_urgency_display()}"

    def terms(self) -> PolicyTerms:
        def rule(clock: str) -> ClockRule | None:
            amount = getattr(self, f"{clock}_amount")
            return ClockRule(amount, getattr(self, f"{clock}_unit")) if amount else None

        return PolicyTerms(rule("first_response"), rule("update"), rule("resolution"))


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
        db_index=False,  # stage_once_per_tier (case, tier) serves lookups by case
        related_name="stages",
        verbose_name=_("case"),
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    update_due_at = models.DateTimeField(_("update due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    warn_at = models.DateTimeField(
        _("warn at"),
        null=True,
        blank=True,
        help_text=_("When the complainant and assigned staff are warned of the next deadline."),
    )
    terms = models.JSONField(
        _("deadline terms"),
        default=dict,
        blank=True,
        help_text=_("The policy as it was when the stage opened: promised deadlines keep it."),
    )
    update_anchor_at = models.DateTimeField(
        _("update clock started"),
        null=True,
        blank=True,
        help_text=_("The complainant's last message, or the stage's opening."),
    )
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
    accepted_at = models.DateTimeField(
        _("answer accepted at"),
        null=True,
        blank=True,
        help_text=_(
            "The complainant accepted the answer's promise: the tier's clocks stand still "
            "(paused at the same moment) until the promised date."
        ),
    )
    fulfilment_due_at = models.DateTimeField(
        _("promise due"),
        null=True,
        blank=True,
        help_text=_(
            "The date the accepted answer promised; if it passes unconfirmed the case "
            "returns to the ladder with the time its clocks had left."
        ),
    )
    file_by_at = models.DateTimeField(
        _("file outside by"),
        null=True,
        blank=True,
        help_text=_(
            "At an outside tier: remind the complainant to file there and record it if "
            "they have not by then (a reminder, not an escalation)."
        ),
    )
    outside_accepted_at = models.DateTimeField(
        _("accepted by the outside body at"),
        null=True,
        blank=True,
        help_text=_("12315 accepted the complaint: its 45-working-day mediation clock runs."),
    )
    outside_expires_at = models.DateTimeField(
        _("outside body's expiry"),
        null=True,
        blank=True,
        help_text=_("The expiry the payment channel shows for the complaint (Alipay)."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=32, choices=StageCloseReason.choices, blank=True
    )
    provisional_from = models.DateField(
        _("provisional from"),
        null=True,
        blank=True,
        help_text=_(
            "Set while a working-day clock counts days of a year whose holiday arrangement "
            "is not published yet (statutory holidays by rule): the first such day. The "
            "deadlines are recalculated when the arrangement arrives."
        ),
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
            models.Index(
                fields=["fulfilment_due_at"],
                condition=models.Q(closed_at__isnull=True, accepted_at__isnull=False),
                name="stage_open_fulfilment",
            ),
            models.Index(
                fields=["file_by_at"],
                condition=models.Q(closed_at__isnull=True, file_by_at__isnull=False),
                name="stage_open_file_by",
            ),
            models.Index(
                fields=["warn_at"],
                condition=models.Q(closed_at__isnull=True, paused_at__isnull=True),
                name="stage_open_warn",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_tier_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def provisional(self) -> bool:
        return self.provisional_from is not None

    def clock_start(self, clock: str) -> datetime:
        """When ``clock`` started counting.

        Outside bodies count from their own events: 12315's accept clock from the
        recorded filing (市场监督管理投诉举报处理暂行办法 art. 14) and its mediation clock
        from the recorded acceptance (art. 21); every other clock from the stage's opening
        (the update clock from the complainant's last message).
        """
        if clock == "update":
            return self.update_anchor_at or self.opened_at
        if clock == "resolution" and self.outside_accepted_at is not None:
            return self.outside_accepted_at
        if self.filed_at is not None and self.tier == Tier.WATCHDOG:
            return self.filed_at
        return self.opened_at


class HolidayNotice(models.Model):
    """The State Council's annual notice (国务院办公厅关于××年部分节假日安排的通知).

    A year with a notice is published: its days follow the notice and, on the days it
    does not list, the ordinary week; the library and the statutory rule no longer apply.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    published_on = models.DateField(_("published on"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("holiday notice")
        verbose_name_plural = _("holiday notices")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} · {self.title}"


class DayOff(models.TextChoices):
    HOLIDAY = "holiday", _("holiday (放假)")
    WORKDAY = "workday", _("make-up working day (调休上班)")


class HolidayNoticeDay(models.Model):
    """One day the notice names: a day off, or a weekend day worked (调休)."""

    notice = models.ForeignKey(
        HolidayNotice, on_delete=models.CASCADE, related_name="days", verbose_name=_("notice")
    )
    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DayOff.choices)
    festival = models.CharField(_("festival"), max_length=16, choices=Festival.choices, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice day")
        verbose_name_plural = _("notice days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} · {self.get_kind_display()}"
