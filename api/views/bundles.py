"""Draft evidence: a bundle collects files while the complaint is being written; filing a
case with ``bundle_id`` attaches it and seals every item."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.errors import NotFound
from evidence.services import bundle_create, evidence_add, evidence_discard_draft_item

from .. import selectors
from ..idempotency import idempotent
from ..serializers import DraftItemOutputSerializer, EvidenceUploadInputSerializer
from .cases import IDEMPOTENCY_PARAMETER


class BundleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    items = DraftItemOutputSerializer(many=True, source="items.all")


class BundleListCreateApi(generics.ListAPIView):
    """The caller's draft bundles; POST starts a new one."""

    serializer_class = BundleOutputSerializer

    def get_queryset(self) -> Any:
        return selectors.draft_bundle_list_for_user(self.request.user).prefetch_related("items")

    @extend_schema(request=None, responses={201: BundleOutputSerializer})
    def post(self, request: Request) -> Response:
        bundle = bundle_create(owner=request.user, now=timezone.now())
        return Response(BundleOutputSerializer(bundle).data, status=status.HTTP_201_CREATED)


class BundleDetailApi(APIView):
    @extend_schema(responses={200: BundleOutputSerializer})
    def get(self, request: Request, bundle_id: int) -> Response:
        bundle = selectors.draft_bundle_get_for_user(request.user, bundle_pk=bundle_id)
        return Response(BundleOutputSerializer(bundle).data)


class BundleItemCreateApi(APIView):
    """Upload a file into a draft (multipart ``kind`` + ``file``); it is sealed at filing."""

    parser_classes = [MultiPartParser, FormParser]
    idempotent = True

    InputSerializer = EvidenceUploadInputSerializer

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: DraftItemOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request: Request, bundle_id: int) -> Response:
        bundle = selectors.draft_bundle_get_for_user(request.user, bundle_pk=bundle_id)
        return idempotent(
            request=request,
            scope=f"bundle_upload:{bundle.pk}",
            perform=lambda: self._upload(request, bundle),
        )

    def _upload(self, request: Request, bundle: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = evidence_add(
            bundle=bundle,
            actor=request.user,
            file=values["file"],
            kind=values["kind"],
            occurred_at=values.get("occurred_at"),
            description=values.get("description", ""),
        )
        return Response(DraftItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class BundleItemDetailApi(APIView):
    """Take a file back out of a draft; filed evidence cannot be removed."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, bundle_id: int, item_id: int) -> Response:
        bundle = selectors.draft_bundle_get_for_user(request.user, bundle_pk=bundle_id)
        item = bundle.items.filter(pk=item_id).first()
        if item is None:
            raise NotFound()
        evidence_discard_draft_item(item=item, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
