"""Platforms, orders, complaint cases and their append-only timeline."""

import hashlib
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import canonical
from .choices import (
    OPEN_STATUSES,
    CaseStatus,
    CollectiveEventKind,
    CollectiveStatus,
    Currency,
    DemandKind,
    DispatchKind,
    EventKind,
    OtherProceedings,
    PaymentMethod,
    ProblemType,
    ProductKind,
    ResolutionOutcome,
    Urgency,
)
from .errors import ImmutableRecord
from .tiers import Tier


class Platform(models.Model):
    """A 卡盟 site: the respondent at the first tier."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    website = models.URLField(_("website"), blank=True)
    complaint_email = models.EmailField(_("complaint contact email"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Merchant(models.Model):
    """A seller on a platform; some complaints name it as well as, or instead of, the platform."""

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="merchants", verbose_name=_("platform")
    )
    name = models.CharField(_("name"), max_length=120)
    shop_url = models.URLField(_("shop URL"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["platform__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "name"], name="merchant_unique_per_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.platform.name}"


class Order(models.Model):
    """The order that went wrong, as the complainant saw it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("owner"),
    )
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="orders", verbose_name=_("platform")
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
        verbose_name=_("merchant"),
    )
    supplier_name = models.CharField(_("third-party supplier"), max_length=120, blank=True)
    # The payee the payment channel's bill shows (收款方), often a company other than the
    # platform's brand: the payment channel's dispute form asks for it as written there.
    merchant_on_bill = models.CharField(
        _("merchant as shown on the payment bill"), max_length=200, blank=True
    )
    order_number = models.CharField(_("order number"), max_length=64)
    product_name = models.CharField(_("product"), max_length=200)
    product_kind = models.CharField(
        _("product kind"), max_length=32, choices=ProductKind.choices, default=ProductKind.OTHER
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_method = models.CharField(
        _("payment method"),
        max_length=32,
        choices=PaymentMethod.choices,
        default=PaymentMethod.OTHER,
    )
    payment_reference = models.CharField(_("payment reference"), max_length=128, blank=True)
    status_seen = models.CharField(_("status the order page showed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="order_owner_recent"),
            models.Index(fields=["platform", "order_number"], name="order_platform_number"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="order_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.platform.name} #{self.order_number}"


class ReferenceCounter(models.Model):
    """The last case number handed out in a year; one row per year, updated under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case reference counter")
        verbose_name_plural = _("case reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ComplaintCase(models.Model):
    """One complaint about one order, climbing the escalation ladder until it ends."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    # The FK indexes of complainant and assigned_to would repeat the first column of the
    # composite indexes below; each extra index is written on every escalation.
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="complaint_cases",
        verbose_name=_("complainant"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="cases", verbose_name=_("order")
    )
    problem_type = models.CharField(_("problem type"), max_length=32, choices=ProblemType.choices)
    description = models.TextField(_("description"))
    demand_kind = models.CharField(_("demand"), max_length=32, choices=DemandKind.choices)
    demand_text = models.TextField(_("demand details"), blank=True)
    demand_amount = models.DecimalField(
        _("amount demanded"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    demand_within_hours = models.PositiveSmallIntegerField(
        _("deadline asked (hours)"),
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_("The respondent is asked to meet the demand within this many hours."),
    )
    status = models.CharField(
        _("status"), max_length=32, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.PLATFORM)
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    urgency_reason = models.TextField(
        _("why it is urgent"),
        blank=True,
        help_text=_("Required when the complainant marks the complaint urgent."),
    )
    risk_signals = models.JSONField(
        _("risk-control signals"),
        default=list,
        blank=True,
        help_text=_(
            "For a network error: it came only after a coupon, many orders or a new IP/device."
        ),
    )
    other_proceedings = models.CharField(
        _("before a court, arbitrator, agency or consumer association"),
        max_length=8,
        choices=OtherProceedings.choices,
        blank=True,
        help_text=_("Empty while the complainant has not answered."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned staff"),
    )
    # Set once at filing by smart dispatch (casework/dispatch.py), for routing and the queue.
    dispatch_kind = models.CharField(
        _("kind of work"), max_length=16, choices=DispatchKind.choices, blank=True
    )
    dispatch_priority = models.PositiveSmallIntegerField(
        _("dispatch priority"), default=4, help_text=_("1 is the most pressing, 4 the least.")
    )
    dispatch_tags = models.JSONField(_("dispatch tags"), default=list, blank=True)
    harm_noticed_at = models.DateTimeField(
        _("problem noticed at"),
        help_text=_(
            "When the complainant learned of the harm; the limitation period runs from it."
        ),
    )
    resolution_outcome = models.CharField(
        _("outcome"), max_length=32, choices=ResolutionOutcome.choices, blank=True
    )
    needs_staff_attention = models.BooleanField(
        _("needs staff attention"),
        default=False,
        help_text=_("Set when the last tier's deadline passed and nothing can escalate further."),
    )
    # Membership of a collective case; indexed only where set (few cases are members).
    collective = models.ForeignKey(
        "CollectiveCase",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("collective case"),
        help_text=_(
            "Grouped with cases against the same platform with the same problem; this case "
            "keeps its own deadlines, tier and timeline."
        ),
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint case")
        verbose_name_plural = _("complaint cases")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["complainant", "-created_at"], name="case_complainant_recent"),
            # Not (status, tier): an escalation changes the tier, and an indexed tier makes
            # every escalation a non-HOT update writing all ten indexes of this table.
            models.Index(fields=["status"], name="case_status"),
            models.Index(fields=["assigned_to", "status"], name="case_assignee_status"),
            models.Index(fields=["problem_type", "-created_at"], name="case_problem_recent"),
            models.Index(
                fields=["collective"],
                condition=models.Q(collective__isnull=False),
                name="case_collective_member",
            ),
            # The collective suggestions' one scan (casework/collective.py): the newest
            # open cases in no collective, in index order, stopping at its LIMIT.
            models.Index(
                fields=["-created_at"],
                condition=models.Q(
                    collective__isnull=True, status__in=sorted(s.value for s in OPEN_STATUSES)
                ),
                name="case_ungrouped_open_recent",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(tier__in=Tier.values), name="case_tier_valid"
            ),
        ]
        permissions = [
            ("triage_case", _("Can triage cases (assign, record responses, request evidence)")),
            ("escalate_case", _("Can escalate cases by hand")),
            # Supervisors act on any case and reassign cases others own (首问负责制).
            ("supervise_case", _("Can supervise cases (act on any, reassign)")),
            # 个人信息保护法 art. 28/51: sensitive personal information only to those who
            # need it; each reveal is a timeline event.
            ("reveal_secrets", _("Can see card keys and personal numbers unmasked")),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def subject_line(self) -> str:
        """The complaint subject the articles recommend: 投诉-<order number>-<problem type>."""
        return f"投诉-{self.order.order_number}-{self.get_problem_type_display()}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord()

    def delete(self) -> NoReturn:
        raise ImmutableRecord()


class ChainedEvent(models.Model):
    """What every timeline entry is, a case's (CaseEvent) or a collective case's
    (CollectiveEvent): append-only, and one link of its owner's hash chain.

    ``hash`` is the SHA-256 of the event's canonical content including ``prev_hash``, so
    editing or removing any event breaks every hash after it. Rows are never updated or
    deleted: the model, its queryset and (on PostgreSQL) a trigger refuse it. The bytes
    are ``canonical.canonical_content`` of the owner's id, whichever owner it is.
    """

    seq = models.PositiveIntegerField(_("sequence"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    payload = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    # Each owner's own: its choices of kind, and who may act (the actor's help text).
    kind: str
    actor_id: int | None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecord()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord()

    def chain_id(self) -> int:
        """The id of the timeline's owner (the case, the collective case)."""
        raise NotImplementedError

    def canonical_content(self) -> bytes:
        """The bytes the hash covers; stable across databases and Python versions.

        The one definition is ``canonical.canonical_content``, which the bulk writer calls too.
        """
        return canonical.canonical_content(
            case_id=self.chain_id(),
            seq=self.seq,
            kind=self.kind,
            actor_id=self.actor_id,
            at=canonical.canonical_at(self.created_at),
            payload=canonical.canonical_payload(self.payload),
            prev=self.prev_hash,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical_content()).hexdigest()


class CaseEvent(ChainedEvent):
    """One entry of a case's timeline: append-only and hash-chained (``ChainedEvent``)."""

    case = models.ForeignKey(
        ComplaintCase, on_delete=models.PROTECT, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty when the system acted (for example an automatic escalation)."),
    )

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_per_case")]
        indexes = [models.Index(fields=["kind", "created_at"], name="event_kind_time")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"

    def chain_id(self) -> int:
        return self.case_id


# --- collective cases ----------------------------------------------------------------------


class CollectiveCase(models.Model):
    """Cases against one platform with one problem, pursued together (a group complaint).

    A triager proposes it (casework/collective.py, from a suggestion or a selection of
    cases); it becomes one when a supervisor confirms it. It has its own reference, its
    own timeline (CollectiveEvent) and a combined evidence package. Its members keep
    their own clocks, tiers and timelines: joining changes no deadline of any case.
    """

    # NULL only inside the transaction that creates it: the number is the row's id.
    reference = models.CharField(
        _("reference"), max_length=32, unique=True, null=True, editable=False
    )
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="collectives", verbose_name=_("platform")
    )
    problem_type = models.CharField(_("problem type"), max_length=32, choices=ProblemType.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CollectiveStatus.choices, default=CollectiveStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
        help_text=_("A supervisor; empty while the grouping is only proposed."),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("collective case")
        verbose_name_plural = _("collective cases")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CollectiveStatus.values),
                name="collective_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_by__isnull=True, confirmed_at__isnull=True)
                | models.Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="collective_confirmed_by_and_at",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or ""

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def member_count(self) -> int:
        return self.members.count()


class CollectiveEvent(ChainedEvent):
    """One entry of a collective case's own timeline: append-only and hash-chained like a
    case's (``ChainedEvent``; the same canonical bytes, with the collective's id)."""

    collective = models.ForeignKey(
        CollectiveCase,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("collective case"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=CollectiveEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )

    class Meta:
        verbose_name = _("collective case event")
        verbose_name_plural = _("collective case events")
        ordering = ["collective", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "seq"], name="event_seq_per_collective")
        ]

    def __str__(self) -> str:
        return f"{self.collective_id}#{self.seq} {self.kind}"

    def chain_id(self) -> int:
        return self.collective_id


# --- portal: profiles and filing drafts --------------------------------------------------


class Profile(models.Model):
    """What the portal knows about a complainant beyond their sign-in email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # 市场监督管理投诉举报处理暂行办法 art. 9 and 民事诉讼法 art. 124 ask for it.
    address = models.CharField(_("postal address"), max_length=300, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=16,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.name or str(self.user)
