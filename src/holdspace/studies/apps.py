from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiesConfig(AppConfig):
    name = "holdspace.studies"
    verbose_name = _("Studies")

    def ready(self) -> None:
        from holdspace.core.extensions import (
            ClientPanel,
            TodayPanel,
            register_care_team_check,
            register_client_panel,
            register_demo_extension,
            register_settings_panel,
            register_today_panel,
        )
        from holdspace.outcomes import studies_hooks

        from . import demo, fidelity_demo, fidelity_views, selectors, team, today

        register_demo_extension(50, demo.demo_study)
        register_demo_extension(55, fidelity_demo.demo_fidelity)
        register_demo_extension(56, demo.demo_oregon)
        register_today_panel(
            TodayPanel("deviations", 45, "studies/_today_deviations.html", today.deviations_panel)
        )
        register_today_panel(
            TodayPanel("assessments", 5, "studies/_today_rater.html", today.rater_panel)
        )
        register_today_panel(
            TodayPanel(
                "study_invitations", 44, "studies/_today_invitations.html", today.invitations_panel
            )
        )
        register_today_panel(
            TodayPanel(
                "study_follow_ups", 46, "studies/_today_follow_ups.html", today.follow_ups_panel
            )
        )
        register_today_panel(
            TodayPanel(
                "fidelity", 6, "studies/_today_fidelity.html", fidelity_views.rater_today_panel
            )
        )
        register_client_panel(
            ClientPanel(
                "oregon_303", 90, "studies/_oregon_panel.html", fidelity_views.opt_out_panel
            )
        )
        register_settings_panel(
            TodayPanel(
                "oregon_303",
                70,
                "studies/_oregon_settings_panel.html",
                fidelity_views.oregon_settings_panel,
            )
        )
        register_care_team_check(team.blinded_rater_refusal)
        studies_hooks.register(
            arms=selectors.arms_for_outcomes, excluded=selectors.excluded_for_outcomes
        )
