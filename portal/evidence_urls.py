"""Evidence downloads, receipts and packages (access-checked, never public URLs)."""

from django.urls import URLPattern, URLResolver, path

from .views import evidence as views

app_name = "evidence"
urlpatterns: list[URLPattern | URLResolver] = [
    path("items/<int:item_pk>/download/", views.item_download, name="item_download"),
    path("items/<int:item_pk>/clean/", views.item_redacted, name="item_redacted"),
    path("items/<int:item_pk>/thumbnail/", views.item_thumbnail, name="item_thumbnail"),
    path("cases/<str:reference>/receipt/", views.receipt, name="receipt"),
    path("cases/<str:reference>/package.zip", views.package, name="package"),
    path("cases/<str:reference>/summary.pdf", views.summary, name="summary_pdf"),
]
