"""REST API v1 routes."""

from django.urls import path, re_path

from .errors import not_found_view
from .views import actions, auth, bundles, cases, catalogue, webhooks

app_name = "api"

case_actions = {
    "withdraw": actions.CaseWithdrawApi,
    "accept-response": actions.CaseAcceptResponseApi,
    "reject-response": actions.CaseRejectResponseApi,
    "resolve": actions.CaseResolveApi,
    "external-reference": actions.CaseExternalReferenceApi,
    "message": actions.CaseMessageApi,
    "details": actions.CaseDetailsApi,
    "assign": actions.CaseAssignApi,
    "record-response": actions.CaseRecordResponseApi,
    "request-evidence": actions.CaseRequestEvidenceApi,
    "escalate": actions.CaseEscalateApi,
    "amend": actions.CaseAmendApi,
    "reopen": actions.CaseReopenApi,
    "resolve-by-staff": actions.CaseResolveByStaffApi,
    "record-acceptance": actions.CaseRecordAcceptanceApi,
    "resume": actions.CaseResumeApi,
}

urlpatterns = [
    path("auth/token/", auth.TokenCreateApi.as_view(), name="auth-token"),
    path("platforms/", catalogue.PlatformListApi.as_view(), name="platform-list"),
    path(
        "platforms/<int:platform_id>/",
        catalogue.PlatformDetailApi.as_view(),
        name="platform-detail",
    ),
    path("orders/", catalogue.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<int:order_id>/", catalogue.OrderDetailApi.as_view(), name="order-detail"),
    path("cases/", cases.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<int:case_id>/", cases.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:case_id>/events/", cases.CaseEventListApi.as_view(), name="case-events"),
    path(
        "cases/<int:case_id>/evidence/",
        cases.CaseEvidenceListCreateApi.as_view(),
        name="case-evidence",
    ),
    path(
        "cases/<int:case_id>/evidence/<int:item_id>/download/",
        cases.CaseEvidenceDownloadApi.as_view(),
        name="case-evidence-download",
    ),
    path(
        "cases/<int:case_id>/documents/",
        cases.CaseDocumentListApi.as_view(),
        name="case-documents",
    ),
    path("cases/<int:case_id>/package/", cases.CasePackageApi.as_view(), name="case-package"),
    path("cases/<int:case_id>/receipt/", cases.CaseReceiptApi.as_view(), name="case-receipt"),
    *[
        path(f"cases/<int:case_id>/{slug}/", view.as_view(), name=f"case-{slug}")
        for slug, view in case_actions.items()
    ],
    path("bundles/", bundles.BundleListCreateApi.as_view(), name="bundle-list"),
    path("bundles/<int:bundle_id>/", bundles.BundleDetailApi.as_view(), name="bundle-detail"),
    path(
        "bundles/<int:bundle_id>/items/",
        bundles.BundleItemCreateApi.as_view(),
        name="bundle-items",
    ),
    path(
        "bundles/<int:bundle_id>/items/<int:item_id>/",
        bundles.BundleItemDetailApi.as_view(),
        name="bundle-item-detail",
    ),
    path(
        "webhooks/",
        webhooks.WebhookEndpointListCreateApi.as_view(),
        name="webhook-list",
    ),
    re_path(r"^.*$", not_found_view, name="not-found"),  # keep last
]
