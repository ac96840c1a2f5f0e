from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreparationConfig(AppConfig):
    name = "holdspace.preparation"
    verbose_name = _("Preparation")

    def ready(self) -> None:
        from holdspace.courses.demo import register_demo_course_step

        from . import demo

        register_demo_course_step(10, demo.demo_preparation)
