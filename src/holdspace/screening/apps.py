from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "holdspace.screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        from holdspace.core.extensions import (
            ClientPanel,
            TodayPanel,
            register_client_panel,
            register_demo_extension,
            register_today_panel,
        )

        from . import demo, today, views
        from .checks import check_data_files

        # A broken rules file or medication list refuses to start, naming the file and rule:
        # screening must never run on rules nobody can read.
        check_data_files()
        register_client_panel(
            ClientPanel(
                key="screening",
                order=10,
                template="screening/_client_panel.html",
                context=views.client_panel_context,
            )
        )
        register_demo_extension(10, demo.demo_screening)
        register_today_panel(
            TodayPanel("decisions", 50, "screening/_today.html", today.today_panel)
        )
