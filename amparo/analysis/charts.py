"""Charts of cross-tabs as Vega-Lite specifications, rendered to SVG on the server.

Specs are built with altair and rendered by vl-convert, which runs Vega in an embedded JavaScript
engine: no browser, and no network (`allowed_base_urls=[]` refuses every URL; the maps ship in
maps/ beside this module). The same SVG goes into pages and PDF reports.

Right-to-left languages get a mirrored chart: categories and time run from right to left, the
value axis stands on the right, the legend on the left and the title on the right; each label is
wrapped in Unicode right-to-left isolation marks so that a label mixing Arabic with Latin letters
or digits reads in the right order, and the SVG declares `direction="rtl"` with every
`text-anchor` mirrored (start and end swapped, so that each text keeps its place while its base
direction is right to left). Arabic letters are written into the SVG as text, which browsers
shape (join) and reorder with the font they have; WeasyPrint does neither in SVG, so a chart for
a PDF goes through `for_print`, which writes its Arabic text shaped and in visual order.

Every chart has a title and a description (the caller's words, translated), written into the SVG
as <title> and <desc> for screen readers. Suppressed cells are left out of a chart (a bar of "<5"
has no height); the caller's description should say so, as the table's notes do.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from html import escape, unescape
from pathlib import Path
from typing import Any, Final, Literal

import altair as alt
import pycountry
import vl_convert

from amparo.analysis import arabic
from amparo.analysis.crosstab import CrossTab
from amparo.analysis.dimensions import RIGHT_TO_LEFT

MAPS = Path(__file__).resolve().parent / "maps"
WORLD_MAP = MAPS / "world-110m.json"
REGION_MAPS = MAPS / "admin1"
# Fonts tried in turn; Arabic needs one with Arabic letters (DejaVu Sans has them).
FONTS = {
    "ar": "'Noto Naskh Arabic', 'Noto Sans Arabic', 'DejaVu Sans', Tahoma, sans-serif",
    "default": "'Noto Sans', 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif",
}
# Number formats per language (d3-format locales that vl-convert ships).
NumberLocale = Literal["en-US", "fr-FR", "es-ES", "ar-MA"]
# Arabic as written in the Maghreb: Western digits, which the other pages use too.
NUMBER_LOCALES: dict[str, NumberLocale] = {
    "en": "en-US",
    "fr": "fr-FR",
    "es": "es-ES",
    "ar": "ar-MA",
}
RIGHT_TO_LEFT_ISOLATE = "\u2067"
POP_DIRECTIONAL_ISOLATE = "\u2069"
WIDTH = 560
BAR_STEP = 22
GROUPED_BAR_HEIGHT = 8  # each bar of a group side by side
NO_DATA_COLOUR = "#e3e3e3"
COLOUR_SCHEME: Final = "blues"
WHOLE_NUMBERS_ONLY = "datum.value % 1 ? '' : datum.label"


def _label(text: str, right_to_left: bool) -> str:
    if right_to_left:
        return f"{RIGHT_TO_LEFT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
    return text


def _config(language: str, right_to_left: bool) -> dict[str, Any]:
    font = FONTS.get(language, FONTS["default"])
    return {
        "font": font,
        "title": {"anchor": "end" if right_to_left else "start", "font": font},
        "axis": {"labelFont": font, "titleFont": font, "labelLimit": 260},
        "legend": {
            "labelFont": font,
            "titleFont": font,
            "orient": "left" if right_to_left else "right",
        },
        "view": {"stroke": None},
    }


def _cells(table: CrossTab, *, recorded_rows_only: bool = False) -> list[dict[str, Any]]:
    """The inner cells that can be drawn: no totals, nothing suppressed (and, for a trend, no
    row whose value was not recorded: an undated act has no place on a time axis)."""
    rtl = table.right_to_left
    drawn = []
    for cell in table.cells.to_pylist():
        if cell["all_rows"] or cell["all_columns"] or cell["suppressed"]:
            continue
        if recorded_rows_only and any(cell[d.key] is None for d in table.rows):
            continue
        drawn.append(
            {
                "category": _label(" / ".join(cell[f"{d.key}_label"] for d in table.rows), rtl),
                "series": _label(" / ".join(cell[f"{d.key}_label"] for d in table.columns), rtl),
                "value": cell["value"],
            }
        )
    return drawn


def _ordered(values: list[dict[str, Any]], key: str) -> list[str]:
    return list(dict.fromkeys(v[key] for v in values))


def bar_chart(table: CrossTab, *, title: str, description: str) -> dict[str, Any]:
    """Horizontal bars, one per row value; stacked by the column values when there are some
    (side by side when the column dimension is multi-valued, whose values overlap)."""
    rtl = table.right_to_left
    values = _cells(table)
    categories = _ordered(values, "category")
    measure = _label(table.measure_label, rtl)
    chart = alt.Chart(alt.InlineData(values=values)).mark_bar()
    step = BAR_STEP
    encoding: dict[str, Any] = {
        "y": alt.Y(
            "category:N",
            sort=categories,
            title=_label(" / ".join(d.label(table.language) for d in table.rows), rtl),
            axis=alt.Axis(orient="right" if rtl else "left"),
        ),
        "x": alt.X(
            "value:Q",
            title=measure,
            scale=alt.Scale(reverse=rtl),
            axis=_count_axis(),
        ),
        "tooltip": [alt.Tooltip("category:N"), alt.Tooltip("value:Q", title=measure)],
    }
    if table.columns:
        series_title = _label(" / ".join(d.label(table.language) for d in table.columns), rtl)
        series = _ordered(values, "series")
        encoding["color"] = alt.Color("series:N", sort=series, title=series_title)
        if any(d.multi_valued for d in table.columns):
            encoding["yOffset"] = alt.YOffset("series:N", sort=series)
            step = max(step, GROUPED_BAR_HEIGHT * len(series))
    chart = chart.encode(**encoding).properties(
        width=WIDTH, height=alt.Step(step), title=title, description=description
    )
    return _finish(chart, table.language, rtl)


def line_chart(table: CrossTab, *, title: str, description: str) -> dict[str, Any]:
    """A trend: the row dimension (a period: year, quarter, month) along the horizontal axis,
    one line per column value. Acts without a date are left out (the table counts them)."""
    rtl = table.right_to_left
    values = _cells(table, recorded_rows_only=True)
    measure = _label(table.measure_label, rtl)
    encoding: dict[str, Any] = {
        "x": alt.X(
            "category:O",
            sort=_ordered(values, "category"),
            title=_label(" / ".join(d.label(table.language) for d in table.rows), rtl),
            scale=alt.Scale(reverse=rtl),
        ),
        "y": alt.Y(
            "value:Q",
            title=measure,
            axis=_count_axis(orient="right" if rtl else "left"),
        ),
    }
    if table.columns:
        encoding["color"] = alt.Color(
            "series:N",
            sort=_ordered(values, "series"),
            title=_label(" / ".join(d.label(table.language) for d in table.columns), rtl),
        )
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_line(point=True)
        .encode(**encoding)
        .properties(width=WIDTH, height=280, title=title, description=description)
    )
    return _finish(chart, table.language, rtl)


def choropleth(
    table: CrossTab, *, title: str, description: str, country: str | None = None
) -> dict[str, Any]:
    """A map coloured by the counts of a table whose one row dimension is `country` (a world
    map) or `region` (a map of `country`'s first-level regions). Places without a count, or
    whose count is suppressed, stay grey."""
    rtl = table.right_to_left
    (dimension,) = table.rows
    if table.columns or dimension.column not in ("country", "region"):
        raise ValueError("A map needs one row dimension, country or region, and no columns.")
    if dimension.column == "region":
        if country is None:
            raise ValueError("A map of regions needs its country.")
        topology, feature, projection = region_map(country), country.upper(), "mercator"
    else:
        topology, feature, projection = world_map(), "countries", "equalEarth"
    counts = []
    for cell in table.cells.to_pylist():
        code = cell[dimension.key]
        if cell["all_rows"] or cell["suppressed"] or code is None:
            continue
        shape_id = _numeric_country(code) if dimension.column == "country" else code
        if shape_id is not None:
            counts.append(
                {
                    "id": shape_id,
                    "place": _label(cell[f"{dimension.key}_label"], rtl),
                    "value": cell["value"],
                }
            )
    # The shapes join the spec after altair has checked it: checking them takes seconds.
    shapes = alt.NamedData(
        name="shapes", format=alt.TopoDataFormat(type="topojson", feature=feature)
    )
    measure = _label(table.measure_label, rtl)
    chart = (
        alt.Chart(shapes)
        .mark_geoshape(stroke="white", strokeWidth=0.5, invalid="show")
        .transform_lookup(
            lookup="id",
            from_=alt.LookupData(
                alt.InlineData(values=counts), key="id", fields=["value", "place"]
            ),
        )
        .encode(
            color=alt.Color(
                "value:Q",
                title=measure,
                scale=alt.Scale(scheme=COLOUR_SCHEME, zero=True),
                legend=alt.Legend(format="d", labelExpr=WHOLE_NUMBERS_ONLY),
            ),
            tooltip=[alt.Tooltip("place:N"), alt.Tooltip("value:Q", title=measure)],
        )
        .project(type=projection)
        .properties(width=WIDTH, height=320, title=title, description=description)
    )
    spec = _finish(chart, table.language, rtl)
    spec["datasets"] = {**spec.get("datasets", {}), "shapes": topology}
    # Places without a count (none, or suppressed) are grey, not the colour of zero.
    spec["config"]["scale"] = {"invalid": {"color": {"value": NO_DATA_COLOUR}}}
    return spec


def _count_axis(**options: Any) -> alt.Axis:
    """An axis of counts: whole numbers only (Vega may still place ticks between them)."""
    return alt.Axis(format="d", tickMinStep=1, labelExpr=WHOLE_NUMBERS_ONLY, **options)


def _finish(chart: alt.TopLevelMixin, language: str, rtl: bool) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict()
    spec["config"] = {**spec.get("config", {}), **_config(language, rtl)}
    spec["usermeta"] = {"language": language}
    return spec


def render_svg(spec: dict[str, Any]) -> str:
    """The SVG of a spec from this module: rendered without network access, with the chart's
    title and description as <title> and <desc> and the language and direction declared."""
    language = spec.get("usermeta", {}).get("language", "en")
    svg = vl_convert.vegalite_to_svg(
        spec,
        allowed_base_urls=[],
        format_locale=NUMBER_LOCALES.get(language, "en-US"),
    )
    return _accessible(svg, spec, language)


def _accessible(svg: str, spec: dict[str, Any], language: str) -> str:
    title = spec.get("title")
    title_text = title.get("text", "") if isinstance(title, dict) else str(title or "")
    description = str(spec.get("description") or "")
    opening = re.match(r"<svg\b[^>]*>", svg)
    if opening is None:
        raise ValueError("vl-convert returned something that is not SVG.")
    # Several charts can share a page: their ids must differ, and the same chart keep its own.
    suffix = hashlib.sha256(svg.encode()).hexdigest()[:10]
    right_to_left = language in RIGHT_TO_LEFT
    tag = opening.group(0)[:-1] + (
        f' role="img" lang="{language}" xml:lang="{language}"'
        + (' direction="rtl"' if right_to_left else "")
        + f' aria-labelledby="title-{suffix} desc-{suffix}">'
    )
    inserted = (
        f'<title id="title-{suffix}">{escape(title_text)}</title>'
        f'<desc id="desc-{suffix}">{escape(description)}</desc>'
    )
    body = svg[opening.end() :]
    if right_to_left:
        body = _mirror_anchors(body)
    return tag + inserted + body


_ANCHOR = re.compile(r'text-anchor="(start|end)"')
_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(</text>)", re.S)
_WORDS = re.compile(r"(^|>)([^<]+)")


def _mirror_anchors(svg: str) -> str:
    """Every `text-anchor` start <-> end: under `direction="rtl"` the same place on the page."""
    return _ANCHOR.sub(
        lambda m: f'text-anchor="{"end" if m.group(1) == "start" else "start"}"', svg
    )


def for_print(svg: str) -> str:
    """The chart's SVG for a renderer that neither shapes nor reorders text (WeasyPrint): the
    Arabic of every <text> shaped and in visual order (`amparo.analysis.arabic`). Titles and
    descriptions for screen readers keep their logical text."""

    def words(match: re.Match[str]) -> str:
        return match.group(1) + escape(arabic.for_print(unescape(match.group(2))), quote=False)

    def text(match: re.Match[str]) -> str:
        return match.group(1) + _WORDS.sub(words, match.group(2)) + match.group(3)

    return _TEXT.sub(text, svg)


@cache
def world_map() -> dict[str, Any]:
    """Countries of the world, 1:110m (Natural Earth through world-atlas; maps/README.md)."""
    return dict(json.loads(WORLD_MAP.read_text(encoding="utf-8")))


@cache
def region_map(country: str) -> dict[str, Any]:
    """`country`'s first-level regions, keyed by ISO 3166-2 code (maps/README.md)."""
    path = REGION_MAPS / f"{country.upper()}.json"
    if not re.fullmatch(r"[A-Z]{2}", country.upper()) or not path.exists():
        raise LookupError(f"No map of the regions of {country}.")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def region_map_countries() -> frozenset[str]:
    """The countries whose regions can be mapped."""
    return frozenset(path.stem for path in REGION_MAPS.glob("*.json"))


def _numeric_country(alpha_2: str) -> str | None:
    """world-atlas names countries by their ISO 3166-1 numeric code."""
    country = pycountry.countries.get(alpha_2=alpha_2)
    return str(country.numeric) if country is not None else None
