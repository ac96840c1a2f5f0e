from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiesConfig(AppConfig):
    name = "holdspace.studies"
    verbose_name = _("Studies")

    def ready(self) -> None:
        from holdspace.core.extensions import register_demo_extension
        from holdspace.outcomes import studies_hooks

        from . import demo, selectors

        register_demo_extension(50, demo.demo_study)
        studies_hooks.register(
            arms=selectors.arms_for_outcomes, excluded=selectors.excluded_for_outcomes
        )
