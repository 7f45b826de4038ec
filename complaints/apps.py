from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from django.conf import settings

        from config.settings.base import require_secret_key

        # Whatever settings module is in use (not only production.py): OWASP ASVS V13.3.1.
        require_secret_key(settings.DEBUG, settings.SECRET_KEY)
