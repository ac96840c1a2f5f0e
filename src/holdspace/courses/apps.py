from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "holdspace.courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from holdspace.core.extensions import (
            ClientPanel,
            register_client_panel,
            register_demo_extension,
        )

        from . import demo, views
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
