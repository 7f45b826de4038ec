from typing import Any

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.errors import InvalidInput
from complaints.models import Platform
from notifications import webhooks

from .. import selectors
from ..permissions import CanManageWebhooks
from ..schema import one_of_required
from ..serializers import HttpsUrlField, IdField, TextField


class WebhookEndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    platform_id = serializers.IntegerField(allow_null=True)
    consumer_group_id = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookEndpointListCreateApi(generics.ListAPIView):
    """Webhook endpoints (staff). The signing secret is shown once, in the create answer."""

    permission_classes = [CanManageWebhooks]
    serializer_class = WebhookEndpointOutputSerializer

    @one_of_required(("platform_id",), ("consumer_group_id",))
    class InputSerializer(serializers.Serializer):
        url = HttpsUrlField(max_length=500)
        platform_id = IdField(required=False, allow_null=True)
        consumer_group_id = IdField(required=False, allow_null=True)
        description = TextField(max_length=200, required=False, default="", allow_blank=True)

    class CreatedSerializer(WebhookEndpointOutputSerializer):
        secret = serializers.CharField()

    def get_queryset(self) -> Any:
        return selectors.webhook_endpoint_list(self.request.user)

    @extend_schema(
        request=InputSerializer,
        responses={201: CreatedSerializer},
        examples=[
            OpenApiExample(
                "A platform's endpoint",
                request_only=True,
                value={"url": "https://hooks.example.cn/kamen", "platform_id": 1},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        platform = group = None
        if values.get("platform_id"):
            platform = Platform.objects.filter(pk=values["platform_id"]).first()
            if platform is None:
                raise InvalidInput(fields={"platform_id": [_("Unknown platform.")]})
        if values.get("consumer_group_id"):
            group = Group.objects.filter(pk=values["consumer_group_id"]).first()
            if group is None:
                raise InvalidInput(fields={"consumer_group_id": [_("Unknown consumer group.")]})
        endpoint = webhooks.webhook_endpoint_create(
            actor=request.user,
            url=values["url"],
            platform=platform,
            consumer_group=group,
            description=values["description"],
        )
        return Response(self.CreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)
