"""The complainants' portal pages."""

from django.urls import URLPattern, URLResolver, path

from .views import cases, filing, profile

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("file/", filing.file_start, name="file_start"),
    path("file/step/<int:step>/", filing.file_step, name="file_step"),
    path(
        "file/evidence/<int:item_pk>/remove/",
        filing.file_evidence_remove,
        name="file_evidence_remove",
    ),
    path("platforms/search/", filing.platform_search, name="platform_search"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/<str:reference>/", cases.case_detail, name="case_detail"),
    path("cases/<str:reference>/document/", cases.case_document, name="case_document"),
    path("cases/<str:reference>/evidence/", cases.case_add_evidence, name="case_add_evidence"),
    path("cases/<str:reference>/message/", cases.case_send_message, name="case_message"),
    path("cases/<str:reference>/reference/", cases.case_record_reference, name="case_reference"),
    path(
        "cases/<str:reference>/acceptance/",
        cases.case_record_acceptance,
        name="case_acceptance",
    ),
    path(
        "cases/<str:reference>/response/accept/",
        cases.case_accept_response,
        name="case_accept_response",
    ),
    path(
        "cases/<str:reference>/response/reject/",
        cases.case_reject_response,
        name="case_reject_response",
    ),
    path("cases/<str:reference>/resolve/", cases.case_mark_resolved, name="case_resolve"),
    path("cases/<str:reference>/reopen/", cases.case_reopen, name="case_reopen"),
    path("cases/<str:reference>/amend/", cases.case_amend, name="case_amend"),
    path("cases/<str:reference>/details/", cases.case_give_details, name="case_details"),
    path("cases/<str:reference>/withdraw/", cases.case_withdraw_view, name="case_withdraw"),
    path("profile/", profile.profile_edit, name="profile"),
]
