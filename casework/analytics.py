"""The dashboard's figures: kept in a small read model (casework/models.py), read by range.

Every figure but one is about the cases *filed* in the range (their Beijing day of
filing), as they stand at the last refresh: how many, per platform, merchant and problem
type; how many the platform answered and how fast; how many climbed to each tier. The one
other is the overdue line: how many open stages were unanswered past a deadline (the red
flags' definition, casework/redflags.py) at each day's last refresh.

A refresh (beat, ``casework.figures_refresh``, every 10 minutes) recounts today and
yesterday and every filing day of a case that was answered, escalated or reopened since
the last refresh (by its event's time), then those days' months, counts today's overdue
stages and lists the red flags. What is written with an earlier moment than the last
refresh (an import of old complaints, say) shows after ``figures_rebuild``. The first
refresh of an empty read model, and ``manage.py figures_rebuild``, recount every day
since the first case. Recounting a day replaces its rows, so a refresh run twice leaves
the same rows; refreshes lock one row, so two never interleave.

Reading a range costs four queries whatever its length or the number of cases, and reads
at most 15 day rows' worth of days a month: a month comes from its day rows in the range,
or from its month row less its day rows outside the range, whichever are fewer.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from complaints.choices import EventKind, ProblemType
from complaints.models import CaseEvent, ComplaintCase
from complaints.tiers import Tier

from .models import (
    ANSWER_BUCKETS,
    CaseFigures,
    FiguresRefresh,
    MerchantFigures,
    OverdueDay,
    Period,
)
from .redflags import overdue_unanswered, red_flags_all

# After these a filed case's figures may differ: a first response (12315's acceptance
# counts as one), an escalation, a reopening (its tier's stage starts over).
CHANGING_EVENTS = (
    EventKind.RESPONSE_RECORDED,
    EventKind.OUTSIDE_ACCEPTED,
    EventKind.ESCALATED,
    EventKind.REOPENED,
)
# An event stamped before a refresh but committed after it read the events is read again
# by the next refresh: each looks back this much further than the previous one ran.
OVERLAP = timedelta(minutes=15)
RED_FLAG_LIMIT = 50
ABOVE_PLATFORM = (Tier.WATCHDOG, Tier.PAYMENT, Tier.LEGAL)
BUCKET_FIELDS = tuple(name for name, _ in ANSWER_BUCKETS)
CASE_SUMS = ("filed", *BUCKET_FIELDS, *(f"reached_{tier}" for tier in ABOVE_PLATFORM))


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in Beijing (``TIME_ZONE``), whatever the server's zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_after(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _filed_on(day: date) -> Q:
    return Q(created_at__gte=day_start(day), created_at__lt=day_start(day + timedelta(days=1)))


# --- counting ---------------------------------------------------------------------------


def _case_counts(day: date) -> QuerySet[Any]:
    """Per platform and problem type of the cases filed on ``day``: the sums of a
    ``CaseFigures`` row.

    One stage per case and tier (``stage_once_per_tier``): each filtered join adds at most
    one row per case, so the counts need no DISTINCT.
    """
    cases = ComplaintCase.objects.filter(_filed_on(day)).annotate(
        first=FilteredRelation("stages", condition=Q(stages__tier=Tier.PLATFORM)),
        **{
            f"at_{tier}": FilteredRelation("stages", condition=Q(stages__tier=tier))
            for tier in ABOVE_PLATFORM
        },
    )
    answered = Q(first__responded_at__isnull=False)
    buckets: dict[str, Any] = {}
    lower: int | None = None
    for name, upper in ANSWER_BUCKETS:
        took = answered
        if lower is not None:
            took &= Q(first__responded_at__gt=F("first__opened_at") + timedelta(minutes=lower))
        if upper is not None:
            took &= Q(first__responded_at__lte=F("first__opened_at") + timedelta(minutes=upper))
        buckets[name] = Count("pk", filter=took)
        lower = upper
    return (
        cases.values("order__platform", "problem_type")
        .annotate(
            filed=Count("pk"),
            **buckets,
            **{f"reached_{tier}": Count(f"at_{tier}__pk") for tier in ABOVE_PLATFORM},
        )
        .order_by()
    )


def _merchant_counts(day: date) -> QuerySet[Any]:
    return (
        ComplaintCase.objects.filter(_filed_on(day), order__merchant__isnull=False)
        .values("order__merchant")
        .annotate(
            filed=Count("pk"),
            invalid_card_key=Count("pk", filter=Q(problem_type=ProblemType.INVALID_CARD_KEY)),
        )
        .order_by()
    )


def _days_recount(days: set[date]) -> None:
    """Replace the day rows of ``days`` with counts from the cases, a day at a time: a
    day's few thousand cases are joined to their stages through the ``(case, tier)``
    index, where a range of days would have the planner read every stage."""
    for day in sorted(days):
        CaseFigures.objects.filter(period=Period.DAY, starts_on=day).delete()
        MerchantFigures.objects.filter(period=Period.DAY, starts_on=day).delete()
        CaseFigures.objects.bulk_create(
            (
                CaseFigures(
                    period=Period.DAY,
                    starts_on=day,
                    platform_id=row["order__platform"],
                    problem_type=row["problem_type"],
                    **{name: row[name] for name in CASE_SUMS},
                )
                for row in _case_counts(day)
            ),
            batch_size=2000,
        )
        MerchantFigures.objects.bulk_create(
            (
                MerchantFigures(
                    period=Period.DAY,
                    starts_on=day,
                    merchant_id=row["order__merchant"],
                    filed=row["filed"],
                    invalid_card_key=row["invalid_card_key"],
                )
                for row in _merchant_counts(day)
            ),
            batch_size=2000,
        )


def _months_recount(months: set[date]) -> None:
    """Replace the month rows of ``months`` with the sums of their day rows."""
    if not months:
        return
    in_months = Q(pk__in=[])
    for month in months:
        in_months |= Q(starts_on__gte=month, starts_on__lt=month_after(month))
    CaseFigures.objects.filter(period=Period.MONTH, starts_on__in=months).delete()
    MerchantFigures.objects.filter(period=Period.MONTH, starts_on__in=months).delete()
    case_months: Any = (
        CaseFigures.objects.filter(in_months, period=Period.DAY)
        .annotate(month=TruncMonth("starts_on"))
        .values("month", "platform", "problem_type")
        .annotate(**{name: Sum(name) for name in CASE_SUMS})
        .order_by()
    )
    CaseFigures.objects.bulk_create(
        (
            CaseFigures(
                period=Period.MONTH,
                starts_on=row["month"],
                platform_id=row["platform"],
                problem_type=row["problem_type"],
                **{name: row[name] for name in CASE_SUMS},
            )
            for row in case_months
        ),
        batch_size=2000,
    )
    merchant_days = MerchantFigures.objects.filter(in_months, period=Period.DAY)
    MerchantFigures.objects.bulk_create(
        (
            MerchantFigures(
                period=Period.MONTH,
                starts_on=row["month"],
                merchant_id=row["merchant"],
                filed=row["filed"],
                invalid_card_key=row["invalid_card_key"],
            )
            for row in merchant_days.annotate(month=TruncMonth("starts_on"))
            .values("month", "merchant")
            .annotate(filed=Sum("filed"), invalid_card_key=Sum("invalid_card_key"))
            .order_by()
        ),
        batch_size=2000,
    )


def _days_touched(*, since: datetime) -> set[date]:
    """The filing days of the cases answered, escalated or reopened since ``since``
    (the ``event_kind_time`` index finds the events)."""
    zone = timezone.get_default_timezone()
    return set(
        CaseEvent.objects.filter(kind__in=CHANGING_EVENTS, created_at__gte=since)
        .annotate(filed_on=TruncDate("case__created_at", tzinfo=zone))
        .values_list("filed_on", flat=True)
        .distinct()
    )


def _every_day(*, today: date) -> set[date]:
    first = ComplaintCase.objects.order_by("created_at").values_list("created_at", flat=True)
    earliest = first.first()
    if earliest is None:
        return set()
    day = timezone.localdate(earliest)
    return {day + timedelta(days=n) for n in range((today - day).days + 1)}


@dataclass(frozen=True)
class Refreshed:
    days: int
    months: int
    overdue: int


def figures_refresh(*, now: datetime, rebuild: bool = False) -> Refreshed:
    """Bring the read model up to ``now`` (see the module's docstring); all or nothing, so
    the dashboard reads either the previous refresh or this one, never half of each."""
    today = timezone.localdate(now)
    with transaction.atomic():
        state, _ = FiguresRefresh.objects.select_for_update().get_or_create(pk=1)
        if rebuild or state.refreshed_at is None:
            days = _every_day(today=today)
            CaseFigures.objects.all().delete()
            MerchantFigures.objects.all().delete()
        else:
            days = {today, today - timedelta(days=1)}
            days |= _days_touched(since=state.refreshed_at - OVERLAP)
        months = {month_of(day) for day in days}
        _days_recount(days)
        _months_recount(months)
        overdue = overdue_unanswered(now=now).count()
        OverdueDay.objects.update_or_create(
            day=today, defaults={"overdue": overdue, "counted_at": now}
        )
        state.red_flags = red_flags_all(now=now, limit=RED_FLAG_LIMIT)
        state.overdue = overdue
        state.refreshed_at = now
        state.save()
    return Refreshed(days=len(days), months=len(months), overdue=overdue)


# --- reading ----------------------------------------------------------------------------


def _days(first: date, last: date) -> Q:
    return Q(period=Period.DAY, starts_on__gte=first, starts_on__lte=last)


def _covering(start: date, end: date, *, today: date) -> tuple[Q, Q]:
    """The rows to add and the rows to take away for the days ``start`` to ``end`` (both
    included), so that a month holds no more than 15 day rows: for each month, its day
    rows inside the range, or its month row less its day rows outside the range,
    whichever are fewer. A month row counts up to today: no case is filed later."""
    add, take = Q(pk__in=[]), Q(pk__in=[])
    month = month_of(start)
    while month <= min(end, today):
        counted_to = min(month_after(month) - timedelta(days=1), today)
        first_in, last_in = max(start, month), min(end, counted_to)
        inside = (last_in - first_in).days + 1
        outside = (counted_to - month).days + 1 - inside
        if outside >= inside:
            add |= _days(first_in, last_in)
        else:
            add |= Q(period=Period.MONTH, starts_on=month)
            if first_in > month:
                take |= _days(month, first_in - timedelta(days=1))
            if last_in < counted_to:
                take |= _days(last_in + timedelta(days=1), counted_to)
        month = month_after(month)
    return add, take


def _summed(names: Iterable[str], take: Q) -> dict[str, Any]:
    """``Sum`` of each of ``names`` over the rows, those matching ``take`` subtracted."""
    return {
        name: Sum(Case(When(take, then=-F(name)), default=F(name), output_field=IntegerField()))
        if take
        else Sum(name)
        for name in names
    }


def median_bucket(buckets: Iterable[int]) -> int | None:
    """The index of the bucket holding the median of the counted times (the lower median
    for an even count), or None when nothing was counted."""
    counts = list(buckets)
    total = sum(counts)
    if total == 0:
        return None
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if 2 * seen >= total:
            return index
    return None  # unreachable: the counts add up to the total


@dataclass
class Counted:
    """The sums of some ``CaseFigures`` rows."""

    filed: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(ANSWER_BUCKETS))
    reached: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ABOVE_PLATFORM, 0))

    def add(self, row: dict[str, Any]) -> None:
        self.filed += row["filed"] or 0
        for index, name in enumerate(BUCKET_FIELDS):
            self.buckets[index] += row[name] or 0
        for tier in ABOVE_PLATFORM:
            self.reached[tier] += row[f"reached_{tier}"] or 0

    @property
    def answered(self) -> int:
        return sum(self.buckets)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.filed if self.filed else None

    @property
    def median_bucket(self) -> int | None:
        return median_bucket(self.buckets)


@dataclass
class PlatformFigures(Counted):
    platform_id: int = 0
    name: str = ""


@dataclass
class Figures:
    """The figures of the cases filed from ``start`` to ``end``."""

    total: Counted
    platforms: list[PlatformFigures]  # most filed first
    problem_types: dict[str, int]  # every problem type, in the vocabulary's order


def figures_read(*, start: date, end: date, today: date) -> Figures:
    """Per platform and per problem type, and in total: one query."""
    add, take = _covering(start, end, today=today)
    rows: Any = (
        CaseFigures.objects.filter(add | take)
        .values("platform", "platform__name", "problem_type")
        .annotate(**_summed(CASE_SUMS, take))
        .order_by()
    )
    total = Counted()
    platforms: dict[int, PlatformFigures] = {}
    problem_types = dict.fromkeys(ProblemType.values, 0)
    for row in rows:
        if not row["filed"]:  # only on the days taken away
            continue
        total.add(row)
        platform = platforms.setdefault(
            row["platform"],
            PlatformFigures(platform_id=row["platform"], name=row["platform__name"]),
        )
        platform.add(row)
        problem_types[row["problem_type"]] = problem_types.get(row["problem_type"], 0) + (
            row["filed"] or 0
        )
    ranked = sorted(platforms.values(), key=lambda p: (-p.filed, p.name))
    return Figures(total=total, platforms=ranked, problem_types=problem_types)


@dataclass(frozen=True)
class MerchantRow:
    merchant_id: int
    name: str
    platform: str
    filed: int
    invalid_card_key: int


def merchants_read(
    *, start: date, end: date, today: date, limit: int | None = None
) -> list[MerchantRow]:
    """The merchants named by cases filed in the range, most named first: one query."""
    add, take = _covering(start, end, today=today)
    rows: Any = (
        MerchantFigures.objects.filter(add | take)
        .values("merchant", "merchant__name", "merchant__platform__name")
        .annotate(**_summed(("filed", "invalid_card_key"), take))
        .filter(filed__gt=0)
        .order_by("-filed", "merchant__name", "merchant")
    )
    return [
        MerchantRow(
            merchant_id=row["merchant"],
            name=row["merchant__name"],
            platform=row["merchant__platform__name"],
            filed=row["filed"],
            invalid_card_key=row["invalid_card_key"],
        )
        for row in (rows[:limit] if limit is not None else rows)
    ]


def overdue_read(*, start: date, end: date) -> list[tuple[date, int | None]]:
    """Each day of the range with its last overdue count, None where nobody counted: one
    query."""
    counted = dict(
        OverdueDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "overdue")
    )
    return [
        (start + timedelta(days=n), counted.get(start + timedelta(days=n)))
        for n in range((end - start).days + 1)
    ]


def refresh_read() -> FiguresRefresh | None:
    """When the figures were last refreshed, with the red flags found then: one query."""
    return FiguresRefresh.objects.filter(pk=1).first()
