from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "holdspace.review"
    verbose_name = _("Clinical review")

    def ready(self) -> None:
        from holdspace.core.extensions import register_banner_source

        from . import panels

        register_banner_source(panels.review_banners)
