"""Labels that come from data/session/session.yaml, listed here so that `makemessages` finds
them; the pages translate them with gettext at run time."""

from __future__ import annotations

from django.utils.translation import gettext_noop

DATA_FILE_LABELS = [
    gettext_noop("Room quiet and private"),
    gettext_noop("Eyeshades"),
    gettext_noop("Music ready"),
    gettext_noop("Water"),
    gettext_noop("Blanket"),
    gettext_noop("Emergency kit"),
    gettext_noop("Phone numbers at hand"),
    gettext_noop("Vital signs within the clinic's limits"),
    gettext_noop("SUDS at or below baseline"),
    gettext_noop("Oriented and psychologically stable"),
    gettext_noop("Both therapists and the client agree the client is safe and stable"),
    gettext_noop("Results in death"),
    gettext_noop("Life-threatening"),
    gettext_noop("Requires or prolongs hospitalisation"),
    gettext_noop("Persistent or significant disability"),
    gettext_noop("Congenital anomaly"),
    gettext_noop("Other important medical event"),
]
