"""Forms at the edge: a service's refusal is shown beside the field it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, QueryDict

T = TypeVar("T")


def posted(request: HttpRequest) -> QueryDict | None:
    """A form's data: the POST body on a POST, even an empty one, so an empty submission is
    validated (and refused with each missing field named) instead of shown as a fresh form.
    `request.POST or None` read an empty POST as a GET."""
    return request.POST if request.method == "POST" else None


def status_of(*forms: BaseForm | None) -> int:
    """422 when a submitted form was refused (any of them has errors), else 200."""
    return 422 if any(form is not None and form.errors for form in forms) else 200


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
