from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "holdspace.outcomes"
    verbose_name = _("Outcomes")

    def ready(self) -> None:
        from holdspace.core.extensions import register_demo_extension

        from . import demo, freshness

        # After courses (30), before sessions (40): the sessions demo then completes the
        # cohort's past medicine sessions like everyone else's.
        register_demo_extension(35, demo.demo_outcomes)
        # Cached cohort rows are keyed by a per-clinic counter that these writes raise.
        freshness.connect()
