from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "holdspace.people"
    verbose_name = _("People")

    def ready(self) -> None:
        from holdspace.core.extensions import TodayPanel, register_today_panel

        from . import receivers, today  # noqa: F401  (receivers audit sign-ins and sign-outs)

        register_today_panel(
            TodayPanel("cohort", 70, "people/_today_cohort.html", today.cohort_panel)
        )
        register_today_panel(
            TodayPanel("clinic", 80, "people/_today_admin.html", today.admin_panel)
        )
