from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "holdspace.portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from holdspace.core.extensions import TodayPanel, register_today_panel

        from . import today

        # Right after the coordinator's scheduling panel (courses, 60), as it was before the
        # portal had a panel of its own.
        register_today_panel(
            TodayPanel("invitations", 65, "portal/_today_invitations.html", today.invitations_panel)
        )
