"""The plain <select> writes its options itself, so it must escape them itself."""

from __future__ import annotations

from amparo.core.widgets import PlainSelect


def test_options_are_escaped_and_the_value_is_selected() -> None:
    widget = PlainSelect(choices=[("", "—"), ("a&b", 'Quote " <b>bold</b>'), (3, "Three")])
    html = widget.render("pick", 3, attrs={"id": "id_pick"})
    assert html.startswith('<select id="id_pick" name="pick">')
    assert '<option value="a&amp;b">Quote &quot; &lt;b&gt;bold&lt;/b&gt;</option>' in html
    assert '<option value="3" selected>Three</option>' in html
    assert '<option value="">—</option>' in html
    assert "<b>" not in html


def test_no_value_selects_nothing() -> None:
    html = PlainSelect(choices=[("x", "X")]).render("pick", None)
    assert "selected" not in html
