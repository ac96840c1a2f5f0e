"""`{% kept_field field "app/_field.html" %}`: a form field through a template that reads only
`field`, its markup kept per process while the form is unbound (core.forms.field_markup)."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from holdspace.core.forms import field_markup

register = template.Library()


@register.simple_tag
def kept_field(field: BoundField, template_name: str) -> SafeString:
    return field_markup(field, template_name)
