from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    name = "holdspace.sessions"
    label = "medicine_sessions"  # "sessions" is django.contrib.sessions
    verbose_name = _("Medicine sessions")
