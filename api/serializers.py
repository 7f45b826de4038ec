"""Output shapes shared by several endpoints; each view keeps its own Input/Output too."""

import datetime
import re
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from complaints.choices import OtherProceedings, RiskSignal
from complaints.models import ComplaintCase
from complaints.services import PHONE_PATTERN
from complaints.tiers import Tier
from escalation.calendar import calendar_current, stage_explanation
from escalation.needs import NEED_FIELDS, document_needs_ahead
from escalation.waiting import Waiting, waiting_on
from evidence.models import EvidenceKind

from .schema import decimal_pattern
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


# --- request fields: a value of the wrong JSON type is refused, as the schema says --------
# DRF's own fields coerce: CharField takes 0 as "0", DecimalField takes the number 30, and
# IntegerField takes "5" and 5.0. The schema says string, string and integer, so a client
# (or a fuzzer) sending another type is told so with a 400, not silently converted.


class TextField(serializers.CharField):
    """Text from a JSON string only (multipart form values are strings too), at most
    ``max_length`` characters as sent: DRF counts after trimming, the schema as given."""

    def run_validation(self, data: Any = empty) -> Any:
        # Before DRF's own, which returns "" for blank or only spaces without a length check.
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class FormTextField(TextField):
    """Free text in a multipart form, where every part is text whatever the client meant
    by it: the schema gives it no JSON type (a ``false`` arrives as the text "false")."""

    any_wire_type = True


class PhoneField(TextField):
    """A phone number, checked by the one phone rule (``complaints.services.phone_check``,
    which the action calls); the schema states that rule as its pattern, blank for none."""

    schema_pattern = PHONE_PATTERN

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


class MoneyField(serializers.DecimalField):
    """An amount as a JSON string (``"30.00"``), never a binary float, written exactly as
    the schema's pattern says (DRF's own field would also take " 30", "3e1" and "3_0")."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")  # not a null: DRF would read a blank string as one
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(decimal_pattern(self), data):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """A JSON integer: not a string of digits, not a boolean, not a float."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class HttpsUrlField(TextField):
    """An https URL in the grammar the schema states, a strict part of what Django's
    URLValidator takes: a DNS name of one to six labels of letters, digits and hyphens
    (up to 31 characters each; an internationalised name as punycode) under a top-level
    domain, so at most 253 characters; an optional port; a path, query and fragment of
    the characters RFC 3986 allows. Lower-case scheme and host, as DNS compares them."""

    schema_pattern = (
        r"^https://(?:[a-z0-9](?:[a-z0-9-]{0,29}[a-z0-9])?\.){1,6}"
        r"(?:[a-z]{2,61}|xn--[a-z0-9]{1,57})"
        r"(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*)?$"
    )
    default_error_messages = {"invalid_url": _("Enter an https URL.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)  # " https://…" is not one

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not re.fullmatch(self.schema_pattern, value):
            self.fail("invalid_url")
        return value


# Ids beyond a signed 64-bit integer cannot exist; refusing them early keeps the database
# from raising an overflow (a 500) on a lookup.
MAX_ID = 2**63 - 1


def IdField(**kwargs: Any) -> serializers.IntegerField:
    return WholeNumberField(min_value=1, max_value=MAX_ID, **kwargs)


def ReasonField(**kwargs: Any) -> TextField:
    """A reason the action requires (``complaints.services.reason_check``): not blank."""
    return TextField(max_length=2000, **kwargs)


class MomentField(serializers.DateTimeField):
    """A moment as RFC 3339 writes it, with its offset (``2024-05-21T10:15:00+08:00``),
    within the years a consumer complaint can concern (1970-2100, as written); the schema
    says so with ``schema_pattern`` next to ``format: date-time``. Python alone would also
    take a date, a time without offset and ISO 8601's basic format. Outside those years
    time zones have odd offsets (Shanghai's local mean time was +08:05:43), which no
    RFC 3339 offset can write back."""

    YEARS = r"(?:19[7-9][0-9]|20[0-9]{2}|2100)"
    schema_pattern = (
        rf"^{YEARS}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]{{1,6}})?"
        r"(?:Z|[+-][0-9]{2}:[0-9]{2})$"
    )
    default_error_messages = {
        "out_of_range": _("Give a time between 1970 and 2100."),
        "rfc3339": _("Give a date and time with its offset, e.g. 2024-05-21T10:15:00+08:00."),
    }

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and not re.match(rf"^{self.YEARS}-", value):
            self.fail("out_of_range")
        if isinstance(value, str) and not re.fullmatch(self.schema_pattern, value):
            self.fail("rfc3339")
        moment = super().to_internal_value(value)
        try:
            moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            self.fail("out_of_range")
        return moment


class FormMomentField(MomentField):
    """A moment in a multipart form, where there is no null: left empty, it is not given
    (DRF reads a form's "" that way); the schema offers "" beside a date-time."""

    blank_means_absent = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_null=False, default=None, **kwargs)


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
    description = FormTextField(max_length=500, required=False, default="", allow_blank=True)
    occurred_at = FormMomentField()
