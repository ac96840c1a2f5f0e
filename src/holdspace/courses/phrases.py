"""Text that is stored now and translated when it is shown.

A visit's label ("Medicine session 2"), its "why here" and what it needs are written when a
schedule is proposed, but must read in each viewer's language: they are stored as a message id
and its parameters, and rendered with gettext at display time. Message ids are marked with
gettext_noop so makemessages collects them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext


@dataclass(frozen=True)
class Phrase:
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    then: Phrase | None = None  # a further sentence, rendered after this one

    def render(self) -> str:
        text = gettext(self.msgid)
        if self.params:
            text = text % self.params
        return f"{text} {self.then.render()}" if self.then is not None else text

    def __str__(self) -> str:
        return self.render()

    def followed_by(self, more: Phrase) -> Phrase:
        """This phrase with `more` as a further sentence after any it already has."""
        then = more if self.then is None else self.then.followed_by(more)
        return Phrase(self.msgid, self.params, then=then)

    def in_english(self) -> str:
        with translation.override("en"):
            return self.render()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"msgid": self.msgid, "params": self.params}
        if self.then is not None:
            data["then"] = self.then.as_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Phrase:
        then = data.get("then")
        return cls(
            msgid=str(data["msgid"]),
            params=dict(data.get("params") or {}),
            then=cls.from_json(then) if isinstance(then, dict) else None,
        )
