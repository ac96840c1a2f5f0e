"""Forms at the edge: a service's refusal is shown beside the field it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.forms import BaseForm, BoundField, Field
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from .memo import BoundedMemo

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


# The markup of unbound forms, by everything it is made from (see KeptMarkupForm).
_UNBOUND_MARKUP: BoundedMemo[SafeString] = BoundedMemo(256, lambda _markup: 1)


def _field_key(form: BaseForm, name: str, field: Field) -> tuple[Any, ...]:
    widget = field.widget
    choices = getattr(field, "choices", None)
    return (
        name,
        str(field.label),
        str(field.help_text),
        field.required,
        field.disabled,
        field.show_hidden_initial,
        type(widget),
        tuple(sorted((k, str(v)) for k, v in widget.attrs.items())),
        None if choices is None else tuple((str(v), str(label)) for v, label in choices),
        repr(form.get_initial_for_field(field, name)),
    )


class KeptMarkupForm(BaseForm):
    """A form whose unbound markup (`as_div`) is made once per process for what it is made
    from: the form's class, prefix, ids and label suffix, the language, and each field's
    label, help text, flags, widget class and attributes, choices and initial value (today's
    date, for a date field whose initial is `localdate`). The template engine renders a form
    through a dozen templates a field: on the client overview its two small forms took longer
    than the rest of the page's markup. A bound form (shown again with its errors) is rendered
    as usual. Only for forms whose markup depends on nothing else (no per-request widget
    state)."""

    def as_div(self) -> SafeString:
        if self.is_bound:
            return super().as_div()
        key = (
            type(self),
            self.prefix,
            self.auto_id,
            self.label_suffix,
            self.use_required_attribute,
            get_language(),
            tuple(_field_key(self, name, field) for name, field in self.fields.items()),
        )
        markup = _UNBOUND_MARKUP.get(key)
        if markup is None:
            markup = super().as_div()
            _UNBOUND_MARKUP.put(key, markup)
        return markup


# One field's markup through a page's own field template, for unbound forms, by the same
# things (see KeptMarkupForm and field_markup). Bounded by the bytes held.
_UNBOUND_FIELDS: BoundedMemo[SafeString] = BoundedMemo(2_000_000, len)


def field_markup(field: BoundField, template_name: str) -> SafeString:
    """`template_name` rendered with `field` alone, as `{% include %}` of a template that reads
    nothing but `field` renders it. A field of an unbound form is rendered once per process
    for what its markup is made from (KeptMarkupForm's key, for the one field): the session
    monitor shows nine small forms, some thirty fields each through half a dozen templates,
    which took longer than the rest of the page."""
    form = field.form
    if form.is_bound:
        return render_to_string(template_name, {"field": field})
    key = (
        template_name,
        type(form),
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        get_language(),
        _field_key(form, field.name, field.field),
    )
    markup = _UNBOUND_FIELDS.get(key)
    if markup is None:
        markup = render_to_string(template_name, {"field": field})
        _UNBOUND_FIELDS.put(key, markup)
    return markup
