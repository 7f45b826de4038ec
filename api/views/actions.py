"""Actions on a case. Complainant actions need the case to be the caller's own; staff
actions need Django permissions (``complaints.triage_case`` / ``escalate_case``)."""

import copy
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import actions
from complaints.choices import (
    COMPLAINANT_RESOLVED_OUTCOMES,
    ENDING_OUTCOMES,
    OtherProceedings,
    ResolutionOutcome,
)
from complaints.errors import InvalidInput
from complaints.models import ComplaintCase
from complaints.records import AMENDABLE_FIELDS, ORDER_AMENDABLE

from .. import selectors
from ..permissions import CanEscalate, CanTriage
from ..schema import any_given, value_by_selector, value_read_by
from ..serializers import (
    CaseDetailOutputSerializer,
    IdField,
    MomentField,
    PhoneField,
    ReasonField,
    TextField,
)
from .cases import CaseListCreateApi, DemandInputSerializer
from .catalogue import OrderInputSerializer


class CaseActionApi(APIView):
    """Fetch the case (404 when not visible), check who may act, run ``perform``."""

    complainant_only = True
    InputSerializer: type[serializers.Serializer] | None = None

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get_for_api(request.user, pk=case_id)
        if self.complainant_only and case.complainant_id != request.user.pk:
            raise PermissionDenied(_("Only the complainant can do this."))
        data: dict[str, Any] = {}
        if self.InputSerializer is not None:
            serializer = self.InputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        self.perform(case=case, actor=request.user, data=data)
        case = selectors.case_get_for_api(request.user, pk=case_id)
        return Response(CaseDetailOutputSerializer(case).data)


def _action_schema(input_serializer: Any) -> Any:
    return extend_schema(request=input_serializer, responses={200: CaseDetailOutputSerializer})


class CaseWithdrawApi(CaseActionApi):
    """End the case without a resolution: ``outcome`` withdrawn, gave_up or none."""

    class InputSerializer(serializers.Serializer):
        reason = TextField(max_length=2000, required=False, default="", allow_blank=True)
        outcome = serializers.ChoiceField(
            choices=[(o.value, o.label) for o in ENDING_OUTCOMES],
            required=False,
            default=ResolutionOutcome.WITHDRAWN,
        )

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_withdraw(
            case=case, actor=actor, reason=data["reason"], outcome=data["outcome"]
        )


class CaseAcceptResponseApi(CaseActionApi):
    """Accept the answer's promise; ``promised_by`` is the date it named (optional: the
    stage's resolution deadline). The tier's clocks stop until then."""

    class InputSerializer(serializers.Serializer):
        promised_by = MomentField(required=False, allow_null=True, default=None)

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_accept_response(case=case, actor=actor, promised_by=data["promised_by"])


class CaseRejectResponseApi(CaseActionApi):
    """Reject the answer; a ``reason`` is required (not blank)."""

    class InputSerializer(serializers.Serializer):
        reason = ReasonField()

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_reject_response(case=case, actor=actor, reason=data["reason"])


class CaseResolveApi(CaseActionApi):
    """The complainant confirms a resolution; to end a case without one, use withdraw."""

    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(
            choices=[(o.value, o.label) for o in COMPLAINANT_RESOLVED_OUTCOMES],
            required=False,
            default=ResolutionOutcome.RESOLVED,
        )
        note = TextField(max_length=2000, required=False, default="", allow_blank=True)

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_resolve(case=case, actor=actor, outcome=data["outcome"], note=data["note"])


class CaseExternalReferenceApi(CaseActionApi):
    """The ticket number the current tier gave (e.g. a 12315 number); records filed_at."""

    class InputSerializer(serializers.Serializer):
        reference = TextField(max_length=120)
        filed_at = MomentField(required=False, allow_null=True, default=None)
        expires_at = MomentField(required=False, allow_null=True, default=None)

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_record_external_reference(
            case=case,
            actor=actor,
            reference=data["reference"],
            filed_at=data["filed_at"],
            expires_at=data["expires_at"],
        )


class CaseRecordAcceptanceApi(CaseActionApi):
    """12315 accepted the complaint (``accepted_at``): its 45-working-day clock runs."""

    class InputSerializer(serializers.Serializer):
        accepted_at = MomentField()

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_record_acceptance(case=case, actor=actor, accepted_at=data["accepted_at"])


class CaseResumeApi(CaseActionApi):
    """Staff restart the clocks of a case paused for evidence."""

    complainant_only = False
    permission_classes = [CanTriage]

    @_action_schema(None)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_resume(case=case, actor=actor)


class CaseMessageApi(CaseActionApi):
    """Write to the case; answers a request for evidence and restarts its clocks."""

    class InputSerializer(serializers.Serializer):
        text = TextField(max_length=10000)

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_message(case=case, actor=actor, text=data["text"])


class CaseDetailsApi(CaseActionApi):
    """Give what the case's ``document_needs`` lists: ``name``, ``phone`` and ``address``
    go to the complainant's profile (for every case); ``other_proceedings`` is written to
    this case's record as an amendment (the timeline keeps before and after). Blank or
    absent values are not given; nothing is saved when any value is refused."""

    @any_given("name", "phone", "address", "other_proceedings")
    class InputSerializer(serializers.Serializer):
        name = TextField(max_length=100, required=False, allow_blank=True)
        phone = PhoneField(required=False)
        address = TextField(max_length=300, required=False, allow_blank=True)
        other_proceedings = serializers.ChoiceField(
            choices=OtherProceedings.choices, required=False, allow_blank=True
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer},
        examples=[
            OpenApiExample(
                "What 12315's complaint needs",
                request_only=True,
                value={
                    "name": "张三",
                    "phone": "13812345678",
                    "address": "广东省深圳市南山区某某路 1 号",
                    "other_proceedings": "no",
                },
            )
        ],
    )
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_details_give(case=case, actor=actor, details=dict(data))


class CaseAssignApi(CaseActionApi):
    """Give the case to a staff member (``assignee_id``), or take it back (null).

    A triager may take an unassigned case (their own id) or give back their own; giving a
    case to someone else or taking it from its owner needs ``complaints.supervise_case``
    (403 otherwise)."""

    complainant_only = False
    permission_classes = [CanTriage]

    class InputSerializer(serializers.Serializer):
        assignee_id = IdField(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer},
        examples=[OpenApiExample("Assign", request_only=True, value={"assignee_id": 1})],
    )
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        assignee = None
        if data["assignee_id"] is not None:
            assignee = (
                get_user_model().objects.filter(pk=data["assignee_id"], is_active=True).first()
            )
            if assignee is None:
                raise InvalidInput(fields={"assignee_id": [_("No such staff member.")]})
        actions.case_assign(case=case, assignee=assignee, actor=actor)


class CaseRecordResponseApi(CaseActionApi):
    complainant_only = False
    permission_classes = [CanTriage]

    class InputSerializer(serializers.Serializer):
        # Declared fields leave the class (serializer metaclass), so this does not shadow
        # Field.source at run time; the stubs cannot know that.
        source = serializers.ChoiceField(  # type: ignore[assignment]
            choices=["staff", "respondent", "complainant"]
        )
        text = TextField(max_length=10000, required=False, default="", allow_blank=True)

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_record_response(
            case=case, actor=actor, source=data["source"], text=data["text"]
        )


class CaseRequestEvidenceApi(CaseActionApi):
    complainant_only = False
    permission_classes = [CanTriage]

    class InputSerializer(serializers.Serializer):
        message = TextField(max_length=5000)

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_request_evidence(case=case, actor=actor, message=data["message"])


class CaseEscalateApi(CaseActionApi):
    """Move the case up a tier now, with the staff member's ``reason`` (kept in the
    timeline); the same engine as the deadline sweep. A triager escalates cases that are
    theirs or unassigned (and then owns them: first-responder responsibility)."""

    complainant_only = False
    permission_classes = [CanEscalate]

    class InputSerializer(serializers.Serializer):
        reason = TextField(
            max_length=2000,
            required=False,
            default="",
            allow_blank=True,
            help_text="Why staff escalate before the deadline; kept in the ESCALATED event.",
        )

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_escalate_by_staff(case=case, actor=actor, reason=data["reason"])


class CaseReopenApi(CaseActionApi):
    """The resolution did not hold: reopen within the reopen window, with a ``reason``."""

    class InputSerializer(serializers.Serializer):
        reason = ReasonField()

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_reopen(case=case, actor=actor, reason=data["reason"])


def _filing_field(
    serializer: type[serializers.Serializer], name: str, *, nullable: bool = False
) -> serializers.Field:
    """A field of the filing serializers, unbound, to read an amended value the same way.
    A correction always names its new value; only the demanded amount may be null (none)."""
    field = copy.deepcopy(serializer._declared_fields[name])
    field.required = True
    field.allow_null = nullable
    return field


# Each amendable field's new value is read exactly as filing reads that field.
AMEND_READERS: dict[str, serializers.Field] = {
    "description": _filing_field(CaseListCreateApi.InputSerializer, "description"),
    "demand_text": _filing_field(DemandInputSerializer, "text"),
    "demand_amount": _filing_field(DemandInputSerializer, "amount", nullable=True),
    "demand_within_hours": _filing_field(DemandInputSerializer, "within_hours"),
    **{f"order.{name}": _filing_field(OrderInputSerializer, name) for name in ORDER_AMENDABLE},
}


class CaseAmendApi(CaseActionApi):
    """Correct one field of the filed record (the complainant, or triage staff).

    ``field`` is one of the amendable fields; ``value`` is given as filing takes that
    field (text as a string, ``demand_amount`` and ``order.amount`` as decimal strings
    such as ``"30.00"``, ``demand_amount`` null to clear it, ``demand_within_hours`` an
    integer, ``order.paid_at`` ISO 8601); ``reason`` is required. The timeline keeps
    before and after.
    """

    complainant_only = False

    @value_read_by("field", "value", AMEND_READERS)
    class InputSerializer(serializers.Serializer):
        field = serializers.ChoiceField(choices=list(AMENDABLE_FIELDS))
        value = serializers.JSONField(
            allow_null=True, help_text="The new value, typed as the field is at filing."
        )
        reason = ReasonField()

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            return value_by_selector(self, attrs)

    @extend_schema(
        request=InputSerializer,
        responses={200: CaseDetailOutputSerializer},
        examples=[
            OpenApiExample(
                "Correct the order number",
                request_only=True,
                value={
                    "field": "order.order_number",
                    "value": "20240521001",
                    "reason": "抄错一位",
                },
            )
        ],
    )
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_amend(
            case=case, actor=actor, field=data["field"], value=data["value"], reason=data["reason"]
        )


class CaseResolveByStaffApi(CaseActionApi):
    """Staff treat a fulfilled case as resolved once the complainant stayed silent."""

    complainant_only = False
    permission_classes = [CanTriage]

    class InputSerializer(serializers.Serializer):
        reason = ReasonField()

    @_action_schema(InputSerializer)
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def perform(self, *, case: ComplaintCase, actor: Any, data: dict[str, Any]) -> None:
        actions.case_resolve_by_staff(case=case, actor=actor, reason=data["reason"])
