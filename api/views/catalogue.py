from decimal import Decimal
from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.choices import PaymentMethod, ProductKind
from complaints.models import Platform

from .. import selectors
from .. import services as api_services
from ..schema import any_of_required
from ..serializers import (
    IdField,
    MomentField,
    MoneyField,
    OrderOutputSerializer,
    PlatformOutputSerializer,
    TextField,
)


class PlatformFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="search")

    class Meta:
        model = Platform
        fields: list[str] = []

    def filter_search(self, queryset: Any, name: str, value: str) -> Any:
        return queryset & selectors.platform_list(search=value)


class PlatformListApi(generics.ListAPIView):
    """Platforms known to the portal; ``search`` matches the name or website."""

    serializer_class = PlatformOutputSerializer
    filterset_class = PlatformFilter

    def get_queryset(self) -> Any:
        return selectors.platform_list()


class PlatformDetailApi(generics.RetrieveAPIView):
    serializer_class = PlatformOutputSerializer
    lookup_url_kwarg = "platform_id"

    def get_queryset(self) -> Any:
        return selectors.platform_list()


@any_of_required(("platform_id",), ("platform_name",))
class OrderInputSerializer(serializers.Serializer):
    """An order as the complainant saw it; the platform by id or by name."""

    platform_id = IdField(required=False)
    platform_name = TextField(required=False, max_length=120)
    order_number = TextField(max_length=64)
    product_name = TextField(max_length=200)
    product_kind = serializers.ChoiceField(choices=ProductKind.choices, default=ProductKind.OTHER)
    amount = MoneyField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    paid_at = MomentField(required=False, allow_null=True)
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.OTHER
    )
    payment_reference = TextField(max_length=128, required=False, default="", allow_blank=True)
    status_seen = TextField(max_length=200, required=False, default="", allow_blank=True)
    supplier_name = TextField(
        max_length=120,
        required=False,
        default="",
        allow_blank=True,
        help_text="A third-party supplier the order page names, if any.",
    )
    merchant_on_bill = TextField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text=(
            "The payee (收款方/商户名称) exactly as the Alipay / WeChat / bank bill shows it; "
            "often a company other than the platform's brand."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("platform_id") and not (attrs.get("platform_name") or "").strip():
            raise serializers.ValidationError(
                {"platform_id": [serializers.Field.default_error_messages["required"]]}
            )
        return attrs


class OrderListCreateApi(generics.ListAPIView):
    """The complainant's own orders."""

    serializer_class = OrderOutputSerializer

    def get_queryset(self) -> Any:
        return selectors.order_list_for_user(self.request.user)

    @extend_schema(
        request=OrderInputSerializer,
        responses={201: OrderOutputSerializer},
        examples=[
            OpenApiExample(
                "An SVIP membership bought on a known platform",
                request_only=True,
                value={
                    "platform_id": 1,
                    "order_number": "20240521002",
                    "product_name": "腾讯视频 SVIP 月卡",
                    "product_kind": "membership",
                    "amount": "30.00",
                    "payment_method": "wechat_pay",
                    "paid_at": "2024-05-21T10:15:00+08:00",
                    "merchant_on_bill": "深圳市某某网络科技有限公司",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = api_services.order_create_for(owner=request.user, **data.validated_data)
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailApi(generics.GenericAPIView):
    serializer_class = OrderOutputSerializer

    def get(self, request: Request, order_id: int) -> Response:
        order = selectors.order_get_for_user(request.user, pk=order_id)
        return Response(OrderOutputSerializer(order).data)
