"""The complainants' portal pages."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("file/", views.file_start, name="file_start"),
    path("file/step/<int:step>/", views.file_step, name="file_step"),
    path(
        "file/evidence/<int:item_pk>/remove/",
        views.file_evidence_remove,
        name="file_evidence_remove",
    ),
    path("platforms/search/", views.platform_search, name="platform_search"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<str:reference>/", views.case_detail, name="case_detail"),
    path("cases/<str:reference>/document/", views.case_document, name="case_document"),
    path("cases/<str:reference>/evidence/", views.case_add_evidence, name="case_add_evidence"),
    path("cases/<str:reference>/message/", views.case_send_message, name="case_message"),
    path("cases/<str:reference>/reference/", views.case_record_reference, name="case_reference"),
    path(
        "cases/<str:reference>/response/accept/",
        views.case_accept_response,
        name="case_accept_response",
    ),
    path(
        "cases/<str:reference>/response/reject/",
        views.case_reject_response,
        name="case_reject_response",
    ),
    path("cases/<str:reference>/resolve/", views.case_mark_resolved, name="case_resolve"),
    path("cases/<str:reference>/withdraw/", views.case_withdraw_view, name="case_withdraw"),
    path("profile/", views.profile_edit, name="profile"),
]
