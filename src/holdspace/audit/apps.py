from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "holdspace.audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the audit key check)
