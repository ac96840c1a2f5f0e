from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "holdspace.measures"
    verbose_name = _("Measures")

    def ready(self) -> None:
        from holdspace.core.extensions import (
            BannerSource,
            ClientPanel,
            TodayPanel,
            register_banner_source,
            register_client_panel,
            register_demo_extension,
            register_today_panel,
        )

        from . import demo, library, panels, today
        from .definitions import DefinitionError

        # A broken instrument file refuses the start, naming the file and the field.
        try:
            library.load_shipped()
        except DefinitionError as exc:
            raise ImproperlyConfigured(f"Instrument definition is broken: {exc}") from exc
        register_client_panel(
            ClientPanel(
                key="measures",
                order=50,
                template="measures/_client_panel.html",
                context=panels.client_panel,
            )
        )
        register_banner_source(
            BannerSource("measures", panels.safety_alert_rows, panels.safety_banners)
        )
        register_demo_extension(20, demo.demo_measures)
        register_today_panel(TodayPanel("alerts", 20, "measures/_today.html", today.today_panel))
