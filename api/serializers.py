"""Output shapes shared by several endpoints; each view keeps its own Input/Output too."""

import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.choices import OtherProceedings, RiskSignal
from complaints.models import ComplaintCase
from complaints.tiers import Tier
from escalation.calendar import calendar_current, stage_explanation
from escalation.needs import NEED_FIELDS, document_needs_ahead
from escalation.waiting import Waiting, waiting_on
from evidence.models import EvidenceKind

from .selectors import case_stage


class PlatformOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    website = serializers.CharField()


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    platform = PlatformOutputSerializer()
    merchant = serializers.CharField(source="merchant.name", allow_null=True, default=None)
    supplier_name = serializers.CharField(help_text="A third-party supplier the order page named.")
    merchant_on_bill = serializers.CharField(
        help_text="The payee (收款方) as the payment bill shows it; empty when not given."
    )
    order_number = serializers.CharField()
    product_name = serializers.CharField()
    product_kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    payment_method = serializers.CharField()
    payment_reference = serializers.CharField()
    status_seen = serializers.CharField()
    created_at = serializers.DateTimeField()


class CalendarDayOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField(help_text="weekend, holiday or makeup_workday")
    layer = serializers.CharField(help_text="notice, library, rule or weekend")
    festival = serializers.CharField()
    in_lieu = serializers.BooleanField()
    provisional = serializers.BooleanField()


class ClockExplanationOutputSerializer(serializers.Serializer):
    clock = serializers.CharField()
    start = serializers.DateTimeField()
    amount = serializers.IntegerField()
    unit = serializers.CharField()
    due = serializers.DateTimeField()
    skipped = CalendarDayOutputSerializer(many=True)
    makeup_days = CalendarDayOutputSerializer(many=True)
    provisional = serializers.BooleanField()


class StageOutputSerializer(serializers.Serializer):
    tier = serializers.CharField()
    opened_at = serializers.DateTimeField()
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    update_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    filed_at = serializers.DateTimeField(allow_null=True)
    external_reference = serializers.CharField()
    accepted_at = serializers.DateTimeField(
        allow_null=True, help_text="The complainant accepted the answer's promise."
    )
    fulfilment_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The promised date; the tier's clocks stand still until then.",
    )
    file_by_at = serializers.DateTimeField(
        allow_null=True, help_text="Reminder to file with the outside body (never escalates)."
    )
    outside_accepted_at = serializers.DateTimeField(allow_null=True)
    outside_expires_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    provisional = serializers.BooleanField(
        help_text="A working-day clock counts statutory holidays by rule: the year's "
        "arrangement is not published yet, so the deadline may still move."
    )
    deadline_explanation = serializers.SerializerMethodField()

    @extend_schema_field(ClockExplanationOutputSerializer(many=True))
    def get_deadline_explanation(self, stage: Any) -> list[dict[str, Any]]:
        if stage.closed_at is not None:
            return []
        context = self.context
        calendar = context.get("work_calendar")
        if calendar is None:  # one per response, shared by the page's stages
            calendar = calendar_current()
            if isinstance(context, dict):
                context["work_calendar"] = calendar
        return [e.as_json() for e in stage_explanation(stage, calendar)]


class DemandOutputSerializer(serializers.Serializer):
    kind = serializers.CharField(source="demand_kind")
    text = serializers.CharField(source="demand_text")
    amount = serializers.DecimalField(
        source="demand_amount", max_digits=12, decimal_places=2, allow_null=True
    )
    within_hours = serializers.IntegerField(source="demand_within_hours")


# A declared field named "label" shadows Field.label (a string) for the type checker only:
# the serializer metaclass moves declared fields off the class.
class RiskSignalOutputSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=RiskSignal.choices)
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]


class OtherProceedingsOutputSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=OtherProceedings.choices,
        allow_blank=True,
        help_text="Empty while the complainant has not answered.",
    )
    label = serializers.CharField(help_text="In the request's language.")  # type: ignore[assignment]


class DocumentNeedOutputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(
        choices=list(NEED_FIELDS),
        help_text="name, phone, address (the complainant's profile) or other_proceedings "
        "(this case's record); give them with POST /cases/{id}/details/.",
    )
    why = serializers.CharField(
        help_text="Why the document asks for it, in the request's language."
    )
    tier = serializers.ChoiceField(
        choices=Tier.choices, help_text="The first tier ahead whose document needs it."
    )


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject_line = serializers.CharField()
    status = serializers.CharField()
    tier = serializers.CharField()
    urgency = serializers.CharField()
    urgency_reason = serializers.CharField()
    problem_type = serializers.CharField()
    description = serializers.CharField()
    demand = DemandOutputSerializer(source="*")
    order = OrderOutputSerializer()
    harm_noticed_at = serializers.DateTimeField()
    risk_signals = serializers.SerializerMethodField()
    other_proceedings = serializers.SerializerMethodField()
    resolution_outcome = serializers.CharField()
    assigned = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField()
    waiting_on = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(RiskSignalOutputSerializer(many=True))
    def get_risk_signals(self, case: ComplaintCase) -> list[dict[str, str]]:
        """Network errors: the circumstances the error came in (a coupon, many orders, a
        new IP/device), which point at the platform's risk-control rules."""
        return [
            {"code": code, "label": str(RiskSignal(code).label)}
            for code in case.risk_signals or []
            if code in RiskSignal.values
        ]

    @extend_schema_field(OtherProceedingsOutputSerializer())
    def get_other_proceedings(self, case: ComplaintCase) -> dict[str, str]:
        """Whether the dispute is before a court, an arbitrator, another agency or the
        consumer association (12315 does not take it up then)."""
        code = case.other_proceedings
        if code not in OtherProceedings.values:
            return {"code": "", "label": str(_("Not answered"))}
        return {"code": code, "label": str(OtherProceedings(code).label)}

    def get_assigned(self, case: ComplaintCase) -> bool:
        return case.assigned_to_id is not None

    def get_overdue(self, case: ComplaintCase) -> bool:
        return bool(getattr(case, "is_overdue", False))

    @extend_schema_field(StageOutputSerializer(allow_null=True))
    def get_stage(self, case: ComplaintCase) -> dict[str, Any] | None:
        stage = case_stage(case)
        return StageOutputSerializer(stage, context=self.context).data if stage else None

    @extend_schema_field(serializers.ChoiceField(choices=Waiting.choices))
    def get_waiting_on(self, case: ComplaintCase) -> str:
        """Whose move it is (escalation.waiting): the portal and admin show the same."""
        return str(waiting_on(case, case_stage(case)))


class CaseDetailOutputSerializer(CaseOutputSerializer):
    """One case, with what the documents of its tiers ahead still lack (not in lists:
    each case's answer reads the complainant's profile)."""

    document_needs = serializers.SerializerMethodField()

    @extend_schema_field(DocumentNeedOutputSerializer(many=True))
    def get_document_needs(self, case: ComplaintCase) -> list[dict[str, str]]:
        """The facts the current tier's document and the next tier's still lack
        (escalation.needs): the portal asks for the same on the case page."""
        return [
            {"field": need.field, "why": str(need.why), "tier": need.tier}
            for need in document_needs_ahead(case)
        ]


class DraftItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    description = serializers.CharField()
    occurred_at = serializers.DateTimeField(allow_null=True)
    uploaded_at = serializers.DateTimeField()


class EvidenceItemOutputSerializer(DraftItemOutputSerializer):
    sealed_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, item: Any) -> str:
        return reverse(
            "api:case-evidence-download",
            kwargs={"case_id": item.bundle.case_id, "item_id": item.pk},
        )


# Ids beyond a signed 64-bit integer cannot exist; refusing them early keeps the database
# from raising an overflow (a 500) on a lookup.
MAX_ID = 2**63 - 1


def IdField(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class MomentField(serializers.DateTimeField):
    """A moment within the years a consumer complaint can concern (1970-2100)."""

    default_error_messages = {
        "out_of_range": _("Give a time between 1970 and 2100."),
    }

    def to_internal_value(self, value: Any) -> Any:
        moment = super().to_internal_value(value)
        try:
            year = moment.astimezone(datetime.UTC).year
        except (OverflowError, ValueError):
            self.fail("out_of_range")
        if not 1970 <= year <= 2100:
            self.fail("out_of_range")
        return moment


def path_ids_bounded(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: integer path ids are 1..MAX_ID, as the URL
    converters and the database accept them."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.update({"minimum": 1, "maximum": MAX_ID})
    return result


class EvidenceUploadInputSerializer(serializers.Serializer):
    """One file of evidence, into a draft bundle or a filed case (multipart)."""

    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    file = serializers.FileField(allow_empty_file=False)
    description = serializers.CharField(
        max_length=500, required=False, default="", allow_blank=True
    )
    occurred_at = MomentField(required=False, allow_null=True)
