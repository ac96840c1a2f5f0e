from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "holdspace.exports"
    label = "exports"
    verbose_name = "Exports"
