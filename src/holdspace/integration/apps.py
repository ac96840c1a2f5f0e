from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "holdspace.integration"
    verbose_name = _("Integration")

    def ready(self) -> None:
        from holdspace.core.extensions import TodayPanel, register_today_panel
        from holdspace.courses.demo import register_demo_course_step

        from . import demo, today

        register_today_panel(TodayPanel("notes", 40, "integration/_today.html", today.today_panel))
        register_demo_course_step(20, demo.demo_integration)
