"""`{% fixed_url "name" %}`: `{% url "name" %}` for a route without arguments, reversed once
per process (core.links.fixed_url)."""

from __future__ import annotations

from django import template

from holdspace.core.links import fixed_url as _fixed_url

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return _fixed_url(name)
