from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "holdspace.sessions"
    label = "medicine_sessions"  # "sessions" is django.contrib.sessions
    verbose_name = _("Medicine sessions")

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
        from holdspace.measures.charts import register_session_dates_source

        from . import demo, panels, selectors, today
        from .rules import RulesError, session_rules

        # A broken data file refuses the start, naming the field.
        try:
            session_rules()
        except RulesError as exc:
            raise ImproperlyConfigured(f"Session rules are broken: {exc}") from exc
        register_session_dates_source(selectors.session_dates)
        register_banner_source(
            BannerSource(
                "sessions",
                panels.session_alert_rows,
                panels.session_alert_banners,
                vary=panels.session_alert_vary,
            )
        )
        register_client_panel(
            ClientPanel(
                key="sessions",
                order=30,
                template="sessions/_client_panel.html",
                context=panels.client_panel,
            )
        )
        register_demo_extension(40, demo.demo_sessions)
        register_today_panel(TodayPanel("sessions", 10, "sessions/_today.html", today.today_panel))
