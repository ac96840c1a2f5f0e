"""Forms at the edge: a service's refusal is shown beside the field it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.forms import BaseForm

T = TypeVar("T")


def show_refusal(form: BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: beside each named field, else on top."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


def submit(form: BaseForm, call: Callable[[], T]) -> T | None:
    """Call the service with the form's parsed values. A refusal lands beside its fields and
    gives None, so the view re-renders the form with everything the user typed."""
    try:
        return call()
    except ValidationError as error:
        show_refusal(form, error)
        return None
