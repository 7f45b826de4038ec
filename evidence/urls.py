"""Evidence downloads, receipts and packages (access-checked, never public URLs)."""

from django.urls import URLPattern, URLResolver

app_name = "evidence"
urlpatterns: list[URLPattern | URLResolver] = []
