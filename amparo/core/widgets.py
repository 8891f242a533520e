"""Widgets shared by the apps' forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


class PlainSelect(forms.Select):
    """A <select> whose options are written in Python. Through the template engine, the few
    hundred options of the country and type-of-act lists took most of a page's time."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), mark_safe(" selected") if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)
