"""The dashboard's read model (casework/analytics.py keeps it; nothing else writes it).

Figures are counted per Beijing day (``TIME_ZONE``) of filing and summed again per month,
so a range of any length reads its whole months from month rows and only its ragged
ends from day rows: a few thousand rows for a year, not the million cases behind them.
Every row can be recounted from the cases at any time (``figures_rebuild``), except the
overdue snapshots: how many cases were overdue on a past day is only known if someone
counted on that day.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.choices import ProblemType
from complaints.models import Merchant, Platform


class Period(models.TextChoices):
    DAY = "day", _("day")
    MONTH = "month", _("month")


# (field, upper edge in minutes): a first response that took more than the previous edge
# and at most this one; the last bucket is open-ended. The median is told "to the bucket".
ANSWER_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("answered_15m", 15),
    ("answered_30m", 30),
    ("answered_1h", 60),
    ("answered_2h", 2 * 60),
    ("answered_4h", 4 * 60),
    ("answered_8h", 8 * 60),
    ("answered_12h", 12 * 60),
    ("answered_1d", 24 * 60),
    ("answered_2d", 48 * 60),
    ("answered_3d", 72 * 60),
    ("answered_7d", 7 * 24 * 60),
    ("answered_later", None),
)


def _bucket_field() -> models.PositiveIntegerField:
    return models.PositiveIntegerField(default=0, editable=False)


class CaseFigures(models.Model):
    """The cases filed in one period on one platform with one problem type, as they stand
    at the last refresh: how many, how many the platform has answered and how fast (its
    stage's ``responded_at`` minus ``opened_at``, in ``ANSWER_BUCKETS``), how many reached
    each tier above the platform."""

    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    starts_on = models.DateField(_("starts on"))
    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="+", verbose_name=_("platform")
    )
    problem_type = models.CharField(_("problem type"), max_length=32, choices=ProblemType.choices)
    filed = models.PositiveIntegerField(_("filed"), default=0)
    answered_15m = _bucket_field()
    answered_30m = _bucket_field()
    answered_1h = _bucket_field()
    answered_2h = _bucket_field()
    answered_4h = _bucket_field()
    answered_8h = _bucket_field()
    answered_12h = _bucket_field()
    answered_1d = _bucket_field()
    answered_2d = _bucket_field()
    answered_3d = _bucket_field()
    answered_7d = _bucket_field()
    answered_later = _bucket_field()
    reached_watchdog = models.PositiveIntegerField(_("reached the watchdog tier"), default=0)
    reached_payment = models.PositiveIntegerField(_("reached the payment tier"), default=0)
    reached_legal = models.PositiveIntegerField(_("reached the legal tier"), default=0)

    class Meta:
        verbose_name = _("case figures")
        verbose_name_plural = _("case figures")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "starts_on", "platform", "problem_type"],
                name="case_figures_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} {self.period} · {self.platform_id} · {self.problem_type}"


class MerchantFigures(models.Model):
    """The cases filed in one period that name one merchant (cases naming none are not
    here), and how many of them are about an invalid or already used card key."""

    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    starts_on = models.DateField(_("starts on"))
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    filed = models.PositiveIntegerField(_("filed"), default=0)
    invalid_card_key = models.PositiveIntegerField(_("invalid card key"), default=0)

    class Meta:
        verbose_name = _("merchant figures")
        verbose_name_plural = _("merchant figures")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "starts_on", "merchant"], name="merchant_figures_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} {self.period} · {self.merchant_id}"


class OverdueDay(models.Model):
    """Open stages unanswered past a deadline (the red flags' definition), counted at each
    refresh of the day: the day's row holds its last count."""

    day = models.DateField(_("day"), unique=True)
    overdue = models.PositiveIntegerField(_("unanswered overdue"))
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("overdue count of a day")
        verbose_name_plural = _("overdue counts by day")

    def __str__(self) -> str:
        return f"{self.day}: {self.overdue}"


class FiguresRefresh(models.Model):
    """The one row refreshes lock (so two never interleave), with when the last one ran,
    the unanswered overdue stages it counted and the red flags it found."""

    refreshed_at = models.DateTimeField(_("refreshed at"), null=True)
    overdue = models.PositiveIntegerField(_("unanswered overdue"), default=0)
    red_flags = models.JSONField(_("red flags"), default=dict)

    class Meta:
        verbose_name = _("figures refresh")
        verbose_name_plural = _("figures refreshes")

    def __str__(self) -> str:
        return f"{self.refreshed_at}"
