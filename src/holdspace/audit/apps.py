from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "holdspace.audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.core import signals

        from . import (
            checks,  # noqa: F401  (registers the audit key check)
            services,
        )

        # The periodic seal of the audit chain waits for a request's response to go out.
        signals.request_started.connect(services.request_started, dispatch_uid="audit-seal")
        signals.request_finished.connect(services.request_finished, dispatch_uid="audit-seal")
