"""Charts and maps rendered to SVG on the server: Arabic, right to left, accessible, offline."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree

import pytest
import vl_convert

from amparo.analysis import charts
from amparo.analysis.crosstab import Query, Suppression, crosstab
from amparo.analysis.dimensions import ValueNames
from tests.analysis.world import NAMES, facts, record, small_world

WORLD = small_world()
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    """The text elements of an SVG, without the direction marks around right-to-left labels."""
    return [
        "".join(e.itertext()).strip("\u2067\u2069")
        for e in ElementTree.fromstring(svg).iter(f"{SVG}text")
    ]


def data(spec: dict, reference: dict) -> list[dict]:
    """The rows a chart draws (altair moves inline data to the spec's named datasets)."""
    return reference.get("values") or spec["datasets"][reference["name"]]


def test_a_bar_chart_in_arabic_carries_its_arabic_labels_as_text_in_the_svg():
    table = crosstab(
        WORLD, Query(rows=("country",), columns=("defender_type",)), language="ar", names=NAMES
    )
    svg = charts.render_svg(
        charts.bar_chart(table, title="الاعتداءات حسب البلد", description="وصف الرسم")
    )
    shown = " ".join(texts(svg))
    for label in ("كينيا", "أوغندا", "صحفي", "محامٍ", "الأفعال"):
        assert label in shown
    assert "الاعتداءات حسب البلد" in shown


def test_an_arabic_chart_is_mirrored():
    table = crosstab(WORLD, Query(rows=("country",)), language="ar", names=NAMES)
    spec = charts.bar_chart(table, title="ع", description="و")
    assert spec["encoding"]["x"]["scale"]["reverse"] is True
    assert spec["encoding"]["y"]["axis"]["orient"] == "right"
    assert spec["config"]["title"]["anchor"] == "end"
    assert spec["config"]["legend"]["orient"] == "left"
    assert "Arabic" in spec["config"]["font"]
    # Labels are isolated right to left, so "(LGBTI+)" inside Arabic stays where it belongs.
    assert all(v["category"].startswith("\u2067") for v in data(spec, spec["data"]))
    english = charts.bar_chart(
        crosstab(WORLD, Query(rows=("country",))), title="t", description="d"
    )
    assert english["encoding"]["x"]["scale"]["reverse"] is False
    assert english["encoding"]["y"]["axis"]["orient"] == "left"


def test_an_arabic_trend_runs_from_right_to_left():
    table = crosstab(WORLD, Query(rows=("year",)), language="ar")
    spec = charts.line_chart(table, title="ع", description="و")
    assert spec["encoding"]["x"]["scale"]["reverse"] is True
    assert spec["encoding"]["y"]["axis"]["orient"] == "right"
    svg = charts.render_svg(spec)
    assert "2024" in texts(svg) and "2025" in texts(svg)
    assert "غير مسجَّل" not in texts(svg)  # act 6 has no date: no place on a time axis


def test_a_chart_has_a_title_and_a_description_for_screen_readers():
    table = crosstab(WORLD, Query(rows=("year",), columns=("country",)), names=NAMES)
    svg = charts.render_svg(
        charts.line_chart(table, title="Acts by year", description="Acts <per> year & country")
    )
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img" and root.get("lang") == "en"
    assert root.find(f"{SVG}title").text == "Acts by year"
    assert root.find(f"{SVG}desc").text == "Acts <per> year & country"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    other = charts.render_svg(charts.line_chart(table, title="Other", description="d"))
    assert title_id not in other  # two charts on one page do not share ids


def test_a_suppressed_cell_is_not_drawn():
    few = facts(
        [record(1, country="UG", organisation_id=2)]
        + [record(i, organisation_id=2) for i in range(2, 30)]
    )
    table = crosstab(
        few,
        Query(rows=("country",)),
        names=NAMES,
        suppression=Suppression(viewer_organisation_id=1),
    )
    spec = charts.bar_chart(table, title="t", description="d")
    assert data(spec, spec["data"]) == []  # Kenya is hidden too
    assert "Uganda" not in " ".join(texts(charts.render_svg(spec)))


def test_a_multi_valued_series_is_drawn_side_by_side_not_stacked():
    table = crosstab(WORLD, Query(rows=("country",), columns=("defender_type",)))
    assert "yOffset" in charts.bar_chart(table, title="t", description="d")["encoding"]
    table = crosstab(WORLD, Query(rows=("country",), columns=("verified",)))
    assert "yOffset" not in charts.bar_chart(table, title="t", description="d")["encoding"]


def test_the_world_map_colours_the_countries_with_counts_from_shipped_shapes():
    table = crosstab(WORLD, Query(rows=("country",)), names=NAMES)
    spec = charts.choropleth(table, title="Acts by country", description="d")
    counts = data(spec, spec["transform"][0]["from"]["data"])
    assert {"id": "404", "place": "Kenya", "value": 4} in counts
    svg = charts.render_svg(spec)
    shapes = re.findall(
        r"<path[^>]*role-mark[^>]*|<path[^>]*aria-roledescription=\"geoshape\"", svg
    )
    assert len(shapes) > 150  # every country of the 1:110m map
    assert svg.count('fill="#e3e3e3"') > 150  # the countries without a count stay grey


def test_a_map_of_first_level_regions_uses_their_iso_codes():
    colombia = facts(
        [record(i, country="CO", region="CO-ANT") for i in range(1, 4)]
        + [record(9, country="CO", region="CO-CHO")]
    )
    table = crosstab(
        colombia,
        Query(rows=("region",)),
        names=ValueNames({"region": {"CO-ANT": {"en": "Antioquia"}}}),
    )
    spec = charts.choropleth(table, title="Acts by department", description="d", country="CO")
    ids = {g["id"] for g in spec["datasets"]["shapes"]["objects"]["CO"]["geometries"]}
    assert {"CO-ANT", "CO-CHO"} <= ids
    svg = charts.render_svg(spec)
    assert svg.count("<path") > 30


def test_a_map_needs_a_place_dimension_and_a_shipped_map():
    with pytest.raises(ValueError, match="country or region"):
        charts.choropleth(crosstab(WORLD, Query(rows=("year",))), title="t", description="d")
    regions = crosstab(WORLD, Query(rows=("region",)))
    with pytest.raises(ValueError, match="needs its country"):
        charts.choropleth(regions, title="t", description="d")
    with pytest.raises(LookupError):
        charts.choropleth(regions, title="t", description="d", country="../../etc")
    assert "CO" in charts.region_map_countries() and "KE" not in charts.region_map_countries()


def test_rendering_never_reaches_the_network():
    spec = {
        "data": {"url": "https://example.org/secrets.json"},
        "mark": "point",
        "usermeta": {"language": "en"},
    }
    with pytest.raises(ValueError, match=r"(?i)not allowed|permission|denied|access"):
        charts.render_svg(spec)


def test_the_shipped_maps_are_what_their_readme_says():
    world = charts.world_map()
    assert world["type"] == "Topology" and "countries" in world["objects"]
    assert len(charts.region_map_countries()) == 172
    for country in ("CO", "MX", "NG"):
        (name,) = charts.region_map(country)["objects"]
        assert name == country
    assert vl_convert.get_vegalite_versions()  # the renderer bundles Vega-Lite itself
    assert json.loads(json.dumps(world)) == world
