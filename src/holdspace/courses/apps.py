from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "holdspace.courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from holdspace.core.extensions import (
            ClientPanel,
            TodayPanel,
            register_client_panel,
            register_demo_extension,
            register_settings_panel,
            register_today_panel,
        )

        from . import demo, today, views
        from .protocols import builtin_protocols

        # A broken template stops the start here, naming the file and the field.
        builtin_protocols()
        register_client_panel(
            ClientPanel(
                key="courses",
                order=20,
                template="courses/_client_panel.html",
                context=views.client_panel,
            )
        )
        register_demo_extension(30, demo.demo_courses)
        register_today_panel(
            TodayPanel("visits", 30, "courses/_today_therapist.html", today.therapist_panel)
        )
        register_today_panel(
            TodayPanel("scheduling", 60, "courses/_today_coordinator.html", today.coordinator_panel)
        )
        register_settings_panel(
            TodayPanel("courses", 20, "courses/_settings_panel.html", views.settings_panel)
        )
        # Last: the demo's phases become the ones its records say (see phase.py).
        register_demo_extension(1000, demo.demo_phases)
