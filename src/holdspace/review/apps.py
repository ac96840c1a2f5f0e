from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "holdspace.review"
    verbose_name = _("Clinical review")

    def ready(self) -> None:
        from holdspace.core.extensions import BannerSource, register_banner_source
        from holdspace.sessions.selectors import register_start_check

        from . import panels, selectors

        register_banner_source(BannerSource("review", panels.review_rows, panels.review_banners))
        register_start_check("clinical_review", selectors.session_start_blocker)
