from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreparationConfig(AppConfig):
    name = "holdspace.preparation"
    verbose_name = _("Preparation")
