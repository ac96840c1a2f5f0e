from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "holdspace.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from allauth.account.signals import password_reset
        from allauth.mfa.signals import authenticator_added

        from . import checks  # noqa: F401  (registers the system checks)
        from .mfa import record_first_enrolment, verify_email_on_password_reset

        authenticator_added.connect(record_first_enrolment, dispatch_uid="holdspace-mfa-enrol")
        password_reset.connect(verify_email_on_password_reset, dispatch_uid="holdspace-reset-ok")
