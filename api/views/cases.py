from typing import Any

import django_filters
from django import forms
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from casework import actions
from casework.packages import case_package
from complaints.access import Act, check_act
from complaints.choices import (
    CaseStatus,
    DemandKind,
    OtherProceedings,
    ProblemType,
    RiskSignal,
    Urgency,
)
from complaints.errors import InvalidInput
from complaints.models import CaseEvent, ComplaintCase
from complaints.redaction import Recipient
from complaints.tiers import Tier
from evidence.models import EvidenceItem
from evidence.receipt import receipt_build

from .. import selectors
from .. import services as api_services
from ..idempotency import KEY_REGEX, idempotent
from ..pagination import SequencePagination, UploadPagination
from ..schema import TEXT_PATTERN, among, one_of_required, schema_rule
from ..serializers import (
    CaseDetailOutputSerializer,
    CaseOutputSerializer,
    EvidenceItemOutputSerializer,
    EvidenceUploadInputSerializer,
    IdField,
    MomentField,
    MoneyField,
    TextField,
    WholeNumberField,
)
from ..throttling import FilingRateThrottle
from .catalogue import OrderInputSerializer

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=f"^{KEY_REGEX}$",
    description="A retry with the same key returns the first answer and creates nothing.",
)


# complaints.services.demand_check: "other" says what it asks for, refund plus compensation
# names its amount; the other kinds need neither.
_DEMAND_PLAIN = [
    k for k in DemandKind.values if k not in {DemandKind.OTHER, DemandKind.REFUND_COMPENSATION}
]


@schema_rule(
    "anyOf",
    [
        {"properties": {"kind": among(*_DEMAND_PLAIN)}},
        {
            "properties": {
                "kind": among(DemandKind.OTHER),
                "text": {"type": "string", "pattern": TEXT_PATTERN},
            },
            "required": ["kind", "text"],
        },
        {
            "properties": {
                "kind": among(DemandKind.REFUND_COMPENSATION),
                "amount": {"type": "string"},
            },
            "required": ["kind", "amount"],
        },
    ],
)
class DemandInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DemandKind.choices)
    text = TextField(required=False, default="", allow_blank=True, max_length=2000)
    amount = MoneyField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    within_hours = WholeNumberField(min_value=1, max_value=24 * 30, required=False, default=24)


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (also ``True``/``1``, ``False``/``0``); anything else is a 400,
    not a silently dropped filter as Django's NullBooleanField would make it."""

    TRUE, FALSE = {"true", "True", "1"}, {"false", "False", "0"}
    widget = forms.TextInput  # the raw text: NullBooleanSelect reads "null" as not given

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value is None:
            return None  # the parameter was not given
        if value in self.TRUE or value is True:
            return True
        if value in self.FALSE or value is False:
            return False
        raise forms.ValidationError(_("Give true or false."), code="invalid")

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices)
    problem_type = django_filters.MultipleChoiceFilter(choices=ProblemType.choices)
    overdue = StrictBooleanFilter(field_name="is_overdue")

    class Meta:
        model = ComplaintCase
        fields = ["status", "tier", "problem_type", "overdue"]


class CaseListCreateApi(generics.ListAPIView):
    """Cases the user may see; complainants file new ones here."""

    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilter
    idempotent = True
    throttle_classes = [AnonRateThrottle, UserRateThrottle, FilingRateThrottle]

    @one_of_required(("order_id",), ("order",))
    # complaints.services.urgency_check: an urgent complaint says why.
    @schema_rule(
        "anyOf",
        [
            {"properties": {"urgency": among(Urgency.NORMAL)}},
            {
                "properties": {"urgency_reason": {"type": "string", "pattern": TEXT_PATTERN}},
                "required": ["urgency_reason"],
            },
        ],
    )
    # complaints.services.risk_signals_check: asked for network errors only.
    @schema_rule(
        "anyOf",
        [
            {"properties": {"problem_type": among(ProblemType.NETWORK_ERROR)}},
            {"properties": {"risk_signals": {"maxItems": 0}}},
        ],
    )
    class InputSerializer(serializers.Serializer):
        order_id = IdField(required=False)
        order = OrderInputSerializer(required=False)
        bundle_id = IdField(
            required=False,
            help_text="A draft evidence bundle of yours; filing attaches and seals it.",
        )
        problem_type = serializers.ChoiceField(choices=ProblemType.choices)
        description = TextField(max_length=10000)
        demand = DemandInputSerializer()
        urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
        urgency_reason = TextField(
            max_length=2000,
            required=False,
            default="",
            allow_blank=True,
            help_text="Required when urgency is urgent (the same rule as the portal's).",
        )
        harm_noticed_at = MomentField(required=False, allow_null=True)
        risk_signals = serializers.ListField(
            child=serializers.ChoiceField(choices=RiskSignal.choices),
            required=False,
            default=list,
            max_length=len(RiskSignal.values),
            help_text=(
                "Network errors only: the error came after a coupon (coupon), many orders in "
                "a short time (many_orders) or a new IP/device (new_ip); the portal's rule."
            ),
        )
        other_proceedings = serializers.ChoiceField(
            choices=OtherProceedings.choices,
            required=False,
            default="",
            allow_blank=True,
            help_text=(
                "Is the dispute before a court, arbitrator, agency or consumer association: "
                "yes, no, unsure, or blank when not answered."
            ),
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("order_id" in attrs) == ("order" in attrs):
                raise serializers.ValidationError(
                    {"order_id": [_("Give either order_id or a new order, not both.")]}
                )
            return attrs

    def get_queryset(self) -> Any:
        return selectors.case_list_for_api(self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={201: CaseDetailOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "A lost order, with the order given inline",
                request_only=True,
                value={
                    "problem_type": "lost_order_unsynced",
                    "description": "付款成功,但订单一直显示待付款,充值未到账。",
                    "demand": {"kind": "refund", "text": "24 小时内原路退款", "within_hours": 24},
                    "urgency": "normal",
                    "order": {
                        "platform_name": "星辰卡盟",
                        "order_number": "20240521001",
                        "product_name": "王者荣耀 点券 600",
                        "product_kind": "top_up",
                        "amount": "60.00",
                        "payment_method": "alipay",
                    },
                },
            ),
            OpenApiExample(
                "An invalid card key, for an order filed before",
                request_only=True,
                value={
                    "problem_type": "invalid_card_key",
                    "description": "卡密激活时提示已被使用。",
                    "demand": {"kind": "reissue", "within_hours": 24},
                    "order_id": 1,
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        return idempotent(request=request, scope="case_create", perform=lambda: self._file(request))

    def _file(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = api_services.case_file_with_order(complainant=request.user, **data.validated_data)
        case = selectors.case_get_for_api(request.user, pk=case.pk)
        return Response(CaseDetailOutputSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(generics.GenericAPIView):
    """One case; ``document_needs`` lists what the documents of its tiers ahead still lack
    (give them with ``POST /cases/{id}/details/``)."""

    serializer_class = CaseDetailOutputSerializer

    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        return Response(CaseDetailOutputSerializer(case).data)


class CaseEventListApi(generics.ListAPIView):
    """The case's timeline, oldest first; each event's hash chains onto the previous one."""

    pagination_class = SequencePagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        seq = serializers.IntegerField()
        kind = serializers.CharField()
        actor = serializers.CharField(source="actor.get_username", allow_null=True, default=None)
        created_at = serializers.DateTimeField()
        payload = serializers.JSONField()
        prev_hash = serializers.CharField()
        hash = serializers.CharField()

    serializer_class = OutputSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CaseEvent.objects.none()
        case = selectors.case_get_for_api(self.request.user, pk=self.kwargs["case_id"])
        return selectors.case_events(case)


class CaseEvidenceListCreateApi(generics.ListAPIView):
    """Evidence items of the case; upload adds and seals one (multipart ``kind`` + ``file``)."""

    serializer_class = EvidenceItemOutputSerializer
    pagination_class = UploadPagination
    parser_classes = [MultiPartParser, FormParser]
    idempotent = True

    InputSerializer = EvidenceUploadInputSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return EvidenceItem.objects.none()
        case = selectors.case_get_for_api(self.request.user, pk=self.kwargs["case_id"])
        return selectors.evidence_items_for_case(case).select_related("bundle")

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: EvidenceItemOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        check_act(request.user, case, Act.ADD_EVIDENCE)
        return idempotent(
            request=request,
            scope=f"evidence_upload:{case.pk}",
            perform=lambda: self._upload(request, case),
        )

    def _upload(self, request: Request, case: ComplaintCase) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        [item] = actions.case_evidence_add(
            case=case,
            actor=request.user,
            files=[values["file"]],
            kind=values["kind"],
            occurred_at=values.get("occurred_at"),
            description=values.get("description", ""),
        )
        return Response(EvidenceItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class CaseEvidenceDownloadApi(APIView):
    """The file exactly as uploaded."""

    @extend_schema(
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, case_id: int, item_id: int) -> FileResponse:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        item = selectors.evidence_item_get(case, pk=item_id)
        response = FileResponse(
            item.file.open("rb"),
            as_attachment=True,
            filename=item.original_name,
            content_type=item.content_type or "application/octet-stream",
        )
        response["X-Content-SHA256"] = item.sha256
        return response


class DocumentOutputSerializer(serializers.Serializer):
    tier = serializers.CharField()
    form = serializers.CharField(help_text="The form's slug, e.g. 12315, heimao, small-claims.")
    form_label = serializers.CharField(help_text="The form's name in the asked language.")
    recipient = serializers.ChoiceField(
        choices=[r.value for r in Recipient],
        help_text="Who reads the form; its text is redacted by that reader's policy.",
    )
    language = serializers.CharField()
    title = serializers.CharField()
    filename = serializers.CharField()
    body = serializers.CharField()


class CaseDocumentListApi(APIView):
    """Every form of each tier the case reached (the 12315 form and the 黑猫 text, the
    mediation request and the court complaint, ...), rendered in ``language``."""

    class OutputSerializer(serializers.Serializer):
        language = serializers.CharField()
        documents = DocumentOutputSerializer(many=True)

    class QuerySerializer(serializers.Serializer):
        language = serializers.ChoiceField(
            choices=["zh-hans", "en"],
            required=False,
            help_text="Defaults to the request's language.",
        )

    @extend_schema(parameters=[QuerySerializer], responses={200: OutputSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        # a plain dict: read as a form, "?language=" would count as not given
        query = self.QuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        language = query.validated_data.get("language") or translation.get_language()
        if language not in {"zh-hans", "en"}:
            raise InvalidInput(fields={"language": [_("Choose zh-hans or en.")]})
        documents = selectors.documents_for_case(case, language=language)
        return Response(
            self.OutputSerializer(
                {"language": language, "documents": [d.__dict__ for d in documents]}
            ).data
        )


class CasePackageApi(APIView):
    """The evidence package: every item with a manifest of hashes, as one ZIP.

    ``?for=`` names the recipient (court, regulator, platform, public; default the current
    tier's reader): all but the court get redacted texts and copies.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "for",
                str,
                enum=[r.value for r in Recipient],
                required=False,
                description="Omitted: the current tier's reader.",
            )
        ],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, case_id: int) -> StreamingHttpResponse:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        language = "en" if (translation.get_language() or "").startswith("en") else "zh-hans"
        recipient = request.query_params.get("for")
        if recipient is not None and recipient not in {r.value for r in Recipient}:
            choices = ", ".join(r.value for r in Recipient)
            message = _("Choose one of: %(choices)s.") % {"choices": choices}
            raise InvalidInput(fields={"for": [message]})
        response = StreamingHttpResponse(
            iter(case_package(case, language=language, recipient=recipient)),
            content_type="application/zip",
        )
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f'attachment; filename="{case.reference}-evidence-{stamp}.zip"'
        )
        return response


class ReceiptItemOutputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    sealed_at = serializers.DateTimeField(allow_null=True)


class ReceiptHeadOutputSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    hash = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)


class CaseReceiptApi(APIView):
    """Proof of what was filed: the reference, filing time, the timeline head and the item
    hashes; ``receipt_sha256`` is the hash of the rest, as in the downloadable receipt."""

    class OutputSerializer(serializers.Serializer):
        case = serializers.CharField()
        subject = serializers.CharField()
        filed_at = serializers.DateTimeField()
        issued_at = serializers.DateTimeField()
        items = ReceiptItemOutputSerializer(many=True)
        chain_head = ReceiptHeadOutputSerializer()
        receipt_sha256 = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        return Response(self.OutputSerializer(receipt_build(case)).data)
