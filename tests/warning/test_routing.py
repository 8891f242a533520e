"""The routing file: the shipped one loads; a wrong one is refused with the file, the line and
the field, and nothing of it is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.warning.routing import DefinitionError, load_routing

NEEDS_VOCABULARIES = False

GOOD = """\
version: 1
deadline_hours: {medium: 72, high: 24, extreme: 6}
routes:
  - id: national
    label: {en: National, fr: National, es: Nacional, ar: وطني}
    contacts:
      - {kind: nhri_focal_point}
      - {organisation: HRDKE}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_routing_loads_and_routes_reprisals_against_nhris_apart() -> None:
    routing = load_routing()
    assert routing.deadline_hours["extreme"] < routing.deadline_hours["high"]
    route = routing.route_for(
        country="KE", region="", level="high", defender_types=["nhri_staff"], acts=["threat"]
    )
    assert route is not None and route.id == "reprisals_against_nhri"
    other = routing.route_for(
        country="KE", region="", level="high", defender_types=["lawyer"], acts=["threat"]
    )
    assert other is not None and other.id == "national"
    assert [c[0].kind for c in other.contacts][-1] == "state_mechanism"


def test_a_good_file_loads_with_its_labels_in_four_languages(tmp_path: Path) -> None:
    routing = load_routing(write(tmp_path, GOOD))
    route = routing.routes[0]
    assert route.labels.get("ar") == "وطني"
    assert route.contacts[1][0].organisation == "HRDKE"


@pytest.mark.parametrize(
    "old,new,where",
    [
        ("{kind: nhri_focal_point}", "{kind: police}", "line 7, routes[0].contacts[0].kind"),
        ("ar: وطني}", "}", "line 5, routes[0].label"),
        ("high: 24", "high: soon", "line 2, deadline_hours.high"),
        ("    contacts:", "    when: {acts: [gossip]}\n    contacts:", "routes[0].when.acts[0]"),
        ("- {organisation: HRDKE}", "- {organisation: HRDKE, kind: state_mechanism}", "line 8"),
    ],
)
def test_a_wrong_file_is_refused_with_its_file_line_and_field(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    with pytest.raises(DefinitionError) as refused:
        load_routing(write(tmp_path, GOOD.replace(old, new)))
    assert "routing.yaml" in str(refused.value)
    assert where in str(refused.value)


def test_text_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"routing.yaml, line \d+.*not valid YAML"):
        load_routing(write(tmp_path, GOOD + "  - id: [unclosed\n"))
