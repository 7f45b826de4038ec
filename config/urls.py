from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from portal.views.common import healthz
from staff.admin import dashboard

admin.site.site_header = "卡盟投诉助手"
# The case queue needs the full width at 1280 px; the index page lists the models anyway.
admin.site.enable_nav_sidebar = False
admin.site.site_title = "卡盟投诉助手"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The dashboard's figures and CSVs, behind the admin's sign-in (staff/admin/dashboard.py).
    path("admin/dashboard/", include(dashboard.urlpatterns())),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("api.urls")),
    path("api/", include("api.docs_urls")),
    path("evidence/", include("portal.evidence_urls")),
    path("", include("portal.urls")),
]

# The admin's own translated page for a staff member whose role does not allow a page.
handler403 = "staff.views.permission_denied"
