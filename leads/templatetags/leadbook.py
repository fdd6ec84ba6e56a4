"""Small template helpers for the staff pages."""

import json
from typing import Any

from django import template
from django.http import QueryDict
from django.template.base import Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

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


class CaptureNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context: Context) -> str:
        # Escaped as it rendered, like any template output: safe to output as it is.
        output: SafeString = mark_safe(self.nodelist.render(context))
        context[self.name] = output
        return ""


@register.tag
def capture(parser: Parser, token: Token) -> CaptureNode:
    """`{% capture name %}…{% endcapture %}`: render the block once, where it stands, and
    keep its output as `name`, for markup repeated unchanged on hundreds of rows (the
    board's stage menu, the CSRF field) that would otherwise be rendered row by row."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("Use {% capture name %}…{% endcapture %}.")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[1])
