"""Small template helpers for the staff pages."""

import json
from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key], or None (for dicts from JSON columns)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def field_label(name: str) -> str:
    """A column name as people say it: "lead_source" -> "Lead source"."""
    return str(name).replace("custom_fields.", "").replace("_", " ").capitalize()


@register.filter
def show_value(value: Any) -> str:
    """A timeline value for display: lists joined, empties as an em dash."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register.simple_tag
def query_with(query: str, **params: Any) -> str:
    """The list's query string plus (or replacing) some parameters, with a leading "?"."""
    q = QueryDict(query or "", mutable=True)
    for key, value in params.items():
        if value in (None, ""):
            q.pop(key, None)
        else:
            q[key] = value
    encoded = q.urlencode()
    return "?" + encoded if encoded else "?"


@register.filter
def percent(value: float) -> float:
    return round(float(value or 0) * 100, 1)


@register.filter
def pretty_json(value: Any) -> str:
    """JSON text or data laid out for reading (indented); other text as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
